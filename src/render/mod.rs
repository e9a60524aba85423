//! Renderers: pure functions from a [`Report`](crate::report::Report) to text. They never
//! read the environment, the terminal or the clock; colour is decided once in `cli`.

pub mod chain;
pub mod human;
pub mod json;
pub mod markdown;
pub mod runtime;
pub mod triage;

/// How to style human output.
#[derive(Debug, Clone, Copy, Default)]
pub struct Style {
    /// Use ANSI colours.
    pub color: bool,
}
