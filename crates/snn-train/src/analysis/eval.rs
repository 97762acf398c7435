//! `snn-train eval`: a trained run's accuracy, loss, per-class accuracy and confusion matrix on
//! the test split (or the run's validation examples); training tests its kept weights with it.

use anyhow::Result;

use crate::data::ImageDataset;
use crate::run::Run;

/// Accuracy, loss and confusion matrix of a trained run on one split.
#[derive(Debug, Clone)]
pub struct Evaluation {
    /// `test` or `valid`.
    pub split: &'static str,
    /// Percent.
    pub accuracy: f64,
    pub loss: f64,
    /// `confusion[true][predicted]`.
    pub confusion: Vec<Vec<u64>>,
    /// Name of each class (the label number when the data has no `classes.txt`).
    pub class_names: Vec<String>,
}

impl Evaluation {
    /// Percent correct per true class (NaN for a class with no examples).
    pub fn per_class_accuracy(&self) -> Vec<f64> {
        self.confusion
            .iter()
            .enumerate()
            .map(|(c, row)| 100.0 * row[c] as f64 / row.iter().sum::<u64>() as f64)
            .collect()
    }

    /// The report printed by `snn-train eval`.
    pub fn table(&self) -> String {
        let n = self.confusion.len();
        let mut out = format!(
            "{} accuracy {:.2}%  loss {:.4}  ({} images)\n\nper-class accuracy:\n",
            self.split,
            self.accuracy,
            self.loss,
            self.confusion.iter().flatten().sum::<u64>()
        );
        // `3`, or `3 Dress` when the data names its classes.
        let labels: Vec<String> = (0..n)
            .map(|c| match self.class_names.get(c) {
                Some(name) if *name != c.to_string() => format!("{c} {name}"),
                _ => c.to_string(),
            })
            .collect();
        let width = labels
            .iter()
            .map(|l| l.chars().count())
            .max()
            .unwrap_or(1)
            .max(3);
        for (label, acc) in labels.iter().zip(self.per_class_accuracy()) {
            out.push_str(&format!("  {label:>width$}: {acc:6.2}%\n"));
        }
        out.push_str("\nconfusion matrix (rows: true class, columns: predicted):\n      ");
        for p in 0..n {
            out.push_str(&format!("{p:>6}"));
        }
        out.push('\n');
        for (t, row) in self.confusion.iter().enumerate() {
            out.push_str(&format!("{t:>6}"));
            for v in row {
                out.push_str(&format!("{v:>6}"));
            }
            out.push('\n');
        }
        out
    }
}

/// Evaluates the run's model on `test` (checked against the model by [`Run::test_data`]).
pub fn evaluate(run: &Run, test: &ImageDataset) -> Result<Evaluation> {
    evaluate_split(run, test, "test")
}

/// Evaluates the run's model on `set`, the split named `split`, in batches of the run's batch
/// size, the device seeded with the run's seed (so the same weights give the same figures).
pub fn evaluate_split(run: &Run, set: &ImageDataset, split: &'static str) -> Result<Evaluation> {
    let test = set;
    let (config, model, device) = (&run.config, &run.model, &run.device);
    device.seed(config.train.seed);
    let data = test.images();
    let classes = config.model.classes;
    let mut confusion = vec![vec![0u64; classes]; classes];
    let mut loss_sum = 0.0;
    let indices = test.indices();
    for chunk in indices.chunks(config.train.batch_size.max(1)) {
        let batch = crate::data::batch_of(data, chunk, device);
        let out = model.forward(batch);
        loss_sum += out.cross_entropy.into_scalar::<f64>() * chunk.len() as f64;
        let preds: Vec<i64> = out.logits.argmax(1).into_data().iter::<i64>().collect();
        for (&i, &p) in chunk.iter().zip(&preds) {
            confusion[data.labels[i] as usize][p as usize] += 1;
        }
    }
    let total = indices.len().max(1) as f64;
    let correct: u64 = (0..classes).map(|c| confusion[c][c]).sum();
    Ok(Evaluation {
        accuracy: 100.0 * correct as f64 / total,
        loss: loss_sum / total,
        split,
        confusion,
        class_names: test.class_names(classes),
    })
}
