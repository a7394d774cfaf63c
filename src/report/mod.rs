//! Reports: text, JSON, Markdown. (Being written.)
