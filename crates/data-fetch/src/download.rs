//! Downloads from mirrors: the HTTP agent, the mirror URLs, trying mirrors in turn, the progress
//! bar.
//!
//! Contract: every mirror serves `<name>.gz`, which is decompressed and verified as it streams in
//! ([`files::install`]); the first mirror whose file verifies wins, and nothing is left of the
//! others. Each failure is printed as it happens (`<name> from <url>: <error>`); when all mirrors
//! fail, the error lists each one and how to use local files instead. The agent bounds the
//! connect and per-read times, not the whole body, so slow links still finish.

use std::io::{self, IsTerminal, Read};
use std::path::Path;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use crate::error::{FetchError, MirrorFailure};
use crate::files::{self, Encoding, Staged};
use crate::mnist::{DataSet, IdxFile};

/// The URL of `name.gz` under mirror base URL `base` (with or without trailing `/`).
pub fn mirror_url(base: &str, name: &str) -> String {
    format!("{}/{name}.gz", base.trim_end_matches('/'))
}

/// The HTTP agent: bounded connect and per-read timeouts (no whole-body timeout, so slow links
/// still finish), HTTP error statuses are errors; proxies from the environment if `env_proxy`.
pub(crate) fn new_agent(env_proxy: bool) -> ureq::Agent {
    let config = ureq::Agent::config_builder()
        .timeout_connect(Some(Duration::from_secs(30)))
        .timeout_recv_response(Some(Duration::from_secs(60)))
        .timeout_per_read(Some(Duration::from_secs(60)))
        .user_agent(concat!("snn-xtask/", env!("CARGO_PKG_VERSION")));
    let config = if env_proxy {
        config
    } else {
        config.proxy(None)
    };
    config.build().new_agent()
}

/// Tries each mirror in turn until one yields a verified `file`.
pub(crate) fn fetch_from_mirrors(
    agent: &ureq::Agent,
    mirrors: &[String],
    ds: &DataSet,
    file: &IdxFile,
    out: &Path,
) -> Result<Staged, FetchError> {
    let mut failures = Vec::new();
    for (i, base) in mirrors.iter().enumerate() {
        let url = mirror_url(base, file.name);
        match download(agent, &url, ds, file, out) {
            Ok(staged) => {
                eprintln!("{}: fetched from {url}, verified", file.name);
                return Ok(staged);
            }
            Err(error) => {
                let next = if i + 1 < mirrors.len() {
                    "; trying next mirror"
                } else {
                    ""
                };
                eprintln!("{} from {url}: {error}{next}", file.name);
                failures.push(MirrorFailure { url, error });
            }
        }
    }
    Err(FetchError::AllMirrorsFailed {
        file: file.name,
        data_set: ds.name,
        data_set_id: ds.id,
        failures,
    })
}

/// Downloads `url` (a gzip stream) and installs its decompressed content.
fn download(
    agent: &ureq::Agent,
    url: &str,
    ds: &DataSet,
    file: &IdxFile,
    out: &Path,
) -> Result<Staged, FetchError> {
    let response = agent.get(url).call().map_err(|source| FetchError::Http {
        url: url.to_string(),
        source,
    })?;
    let total = response.body().content_length();
    let progress = Progress::start(file.name, url, total);
    let body = progress.wrap(response.into_body().into_reader());
    let result = files::install(body, Encoding::Gz, ds, file, out);
    progress.finish();
    result
}

/// Download progress: an indicatif bar on a terminal, plain lines otherwise.
struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    fn start(name: &str, url: &str, total: Option<u64>) -> Self {
        if !io::stderr().is_terminal() {
            let size = total.map(|t| format!(" ({t} bytes)")).unwrap_or_default();
            eprintln!("{name}: downloading {url}{size}");
            return Self { bar: None };
        }
        let (bar, template) = match total {
            Some(t) => (
                ProgressBar::new(t),
                "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
            ),
            None => (
                ProgressBar::no_length(),
                "{msg} {spinner} {bytes} {bytes_per_sec}",
            ),
        };
        let style = ProgressStyle::with_template(template)
            .expect("valid progress template")
            .progress_chars("=> ");
        bar.set_style(style);
        bar.set_message(name.to_string());
        Self { bar: Some(bar) }
    }

    fn wrap(&self, reader: impl Read + 'static) -> Box<dyn Read> {
        match &self.bar {
            Some(bar) => Box::new(bar.wrap_read(reader)),
            None => Box::new(reader),
        }
    }

    fn finish(self) {
        if let Some(bar) = self.bar {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mirror_url_accepts_trailing_slash_or_not() {
        assert_eq!(mirror_url("http://h/a/", "f"), "http://h/a/f.gz");
        assert_eq!(mirror_url("http://h/a", "f"), "http://h/a/f.gz");
    }
}
