//! The command table. Owned by the table work.
