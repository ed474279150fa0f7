//! An error with its causes, for logs: `what failed: why: why that`.

use std::error::Error;
use std::fmt;

/// Displays an error followed by each of its sources, `: `-separated.
pub struct ErrorChain<'a>(pub &'a dyn Error);

impl fmt::Display for ErrorChain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(cause) = source {
            write!(f, ": {cause}")?;
            source = cause.source();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("cannot open the store")]
    struct Outer(#[source] std::io::Error);

    #[test]
    fn every_cause_is_shown_in_order() {
        let err = Outer(std::io::Error::other("disk full"));
        assert_eq!(
            ErrorChain(&err).to_string(),
            "cannot open the store: disk full"
        );
    }
}
