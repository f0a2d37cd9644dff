//! Errors on their way to Python: the exception class of each library error, its message
//! as the CLI prints it, and running work with the GIL released.

use pyo3::prelude::*;

/// The exception classes of `fairsynth._errors`, by name.
#[derive(Clone, Copy)]
pub(crate) enum Kind {
    Schema,
    Input,
    Usage,
    Privacy,
    Key,
    Model,
    Output,
    Base,
}

impl Kind {
    /// The class's name in `fairsynth._errors`.
    pub(crate) fn class(self) -> &'static str {
        match self {
            Kind::Schema => "SchemaError",
            Kind::Input => "InputError",
            Kind::Usage => "UsageError",
            Kind::Privacy => "PrivacyError",
            Kind::Key => "PseudonymKeyError",
            Kind::Model => "ModelError",
            Kind::Output => "OutputError",
            Kind::Base => "Error",
        }
    }
}

/// A library error on its way to Python: the exception class and the message the CLI prints
/// after `error: `.
pub(crate) struct Failure {
    kind: Kind,
    message: String,
}

impl Failure {
    /// `error` and its causes, rendered as the CLI renders them.
    pub(crate) fn new(kind: Kind, error: &(dyn std::error::Error + 'static)) -> Failure {
        Failure {
            kind,
            message: render(error),
        }
    }

    /// A message of our own.
    pub(crate) fn text(kind: Kind, message: impl Into<String>) -> Failure {
        Failure {
            kind,
            message: message.into(),
        }
    }
}

/// An error and its causes on one line (hints after it), each cause once: the same text as the
/// CLI's `error:` line, so a message reads the same from Python and from the shell.
fn render(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = String::new();
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(c) = cause {
        let s = c.to_string();
        if !(s.is_empty() || text.contains(&s)) {
            if text.is_empty() {
                text = s;
            } else {
                let at = text.find('\n').unwrap_or(text.len());
                text.insert_str(at, &format!(": {s}"));
            }
        }
        cause = c.source();
    }
    text
}

impl From<fairsynth::schema::SchemaError> for Failure {
    fn from(e: fairsynth::schema::SchemaError) -> Self {
        Failure::new(Kind::Schema, &e)
    }
}

impl From<fairsynth::io::read::ReadError> for Failure {
    fn from(e: fairsynth::io::read::ReadError) -> Self {
        Failure::new(Kind::Input, &e)
    }
}

impl From<fairsynth::io::IoError> for Failure {
    fn from(e: fairsynth::io::IoError) -> Self {
        Failure::new(Kind::Output, &e)
    }
}

impl From<fairsynth::reweight::ReweightError> for Failure {
    fn from(e: fairsynth::reweight::ReweightError) -> Self {
        use fairsynth::reweight::ReweightError as E;
        let kind = match &e {
            E::Read(_) => Kind::Input,
            E::Io(_) => Kind::Output,
            E::Diagnostics(_) => Kind::Usage,
        };
        Failure::new(kind, &e)
    }
}

impl From<fairsynth::deid::run::DeidError> for Failure {
    fn from(e: fairsynth::deid::run::DeidError) -> Self {
        use fairsynth::deid::run::DeidError as E;
        let kind = match &e {
            E::Read(_) => Kind::Input,
            E::Io(_) => Kind::Output,
            E::Key(_) => Kind::Key,
            E::Diagnostics(_) => Kind::Privacy,
        };
        Failure::new(kind, &e)
    }
}

impl From<fairsynth::deid::pseudo::KeyError> for Failure {
    fn from(e: fairsynth::deid::pseudo::KeyError) -> Self {
        Failure::new(Kind::Key, &e)
    }
}

impl From<fairsynth::synth::SynthError> for Failure {
    fn from(e: fairsynth::synth::SynthError) -> Self {
        use fairsynth::synth::SynthError as E;
        let kind = match &e {
            E::Io(_) => Kind::Output,
            E::Arrow(_) => Kind::Base,
            E::RowGroupRows(_) => Kind::Usage,
            // Missing generators, bad distribution parameters, references: the schema's.
            _ => Kind::Schema,
        };
        Failure::new(kind, &e)
    }
}

impl From<fairsynth::model::ModelError> for Failure {
    fn from(e: fairsynth::model::ModelError) -> Self {
        use fairsynth::model::ModelError as E;
        let kind = match &e {
            E::Read(_) => Kind::Input,
            E::Schema(_) => Kind::Schema,
            E::Open { .. } | E::Format { .. } => Kind::Model,
            E::Invalid(_) => Kind::Usage,
            E::Synth(fairsynth::synth::SynthError::Io(_)) | E::Io(_) => Kind::Output,
            E::Synth(_) => Kind::Schema,
        };
        Failure::new(kind, &e)
    }
}

impl From<fairsynth::evaluate::EvaluateError> for Failure {
    fn from(e: fairsynth::evaluate::EvaluateError) -> Self {
        use fairsynth::evaluate::EvaluateError as E;
        let kind = match &e {
            E::Read(_) | E::Input(_) => Kind::Input,
            E::Threshold(_) => Kind::Usage,
        };
        Failure::new(kind, &e)
    }
}

impl From<fairsynth::audit::AuditError> for Failure {
    fn from(e: fairsynth::audit::AuditError) -> Self {
        Failure::new(Kind::Input, &e)
    }
}

impl From<serde_json::Error> for Failure {
    fn from(e: serde_json::Error) -> Self {
        Failure::new(Kind::Base, &e)
    }
}

/// Raises `f` as its `fairsynth` exception class.
pub(crate) fn raise(py: Python<'_>, f: Failure) -> PyErr {
    let class = match py
        .import("fairsynth._errors")
        .and_then(|m| m.getattr(f.kind.class()))
    {
        Ok(c) => c,
        Err(e) => return e,
    };
    match class.call1((f.message,)) {
        Ok(value) => PyErr::from_value(value),
        Err(e) => e,
    }
}

/// Runs `work` with the GIL released, on a pool of `threads` workers (the global pool when
/// `None`), and raises its error as a `fairsynth` exception.
pub(crate) fn run<T: Send>(
    py: Python<'_>,
    threads: Option<usize>,
    work: impl FnOnce() -> Result<T, Failure> + Send,
) -> PyResult<T> {
    let result = py.detach(|| match threads {
        None => work(),
        Some(n) => match rayon::ThreadPoolBuilder::new().num_threads(n).build() {
            Ok(pool) => pool.install(work),
            Err(e) => Err(Failure::new(Kind::Base, &e)),
        },
    });
    result.map_err(|f| raise(py, f))
}
