//! Identifier detection by column name and by content.
