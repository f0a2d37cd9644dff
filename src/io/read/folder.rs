//! A folder of tables: one file per table, named by its stem (`orders.csv`, `orders.parquet`),
//! as `inspect`, `fit`, `deidentify` and `evaluate` take linked tables.

use std::path::{Path, PathBuf};

use super::Format;

/// Why a folder cannot be listed as tables.
#[derive(Debug, thiserror::Error)]
pub enum FolderError {
    /// The folder cannot be listed.
    #[error("cannot list the folder `{path}`: {source}")]
    List {
        /// The folder.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// Two files give one table name.
    #[error("two files name the table `{table}`: `{first}` and `{second}`\n    hint: keep one file per table")]
    SameTable {
        /// The table name (the file stem).
        table: String,
        /// One file.
        first: PathBuf,
        /// The other.
        second: PathBuf,
    },
}

/// One table file of a folder.
#[derive(Debug, Clone, PartialEq)]
pub struct TableFile {
    /// The table's name: the file name without its table extensions.
    pub name: String,
    /// The file.
    pub path: PathBuf,
    /// Its format.
    pub format: Format,
}

/// The table name of a file: its name without `.gz` and a table extension.
pub fn table_name(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut stem = name.as_str();
    for ext in [
        ".gz", ".csv", ".tsv", ".tab", ".txt", ".parquet", ".pq", ".xlsx", ".xlsm", ".xls", ".ods",
    ] {
        if stem.len() > ext.len() && stem.to_ascii_lowercase().ends_with(ext) {
            stem = &stem[..stem.len() - ext.len()];
        }
    }
    stem.to_string()
}

/// The table files of `dir` sorted by name, and the other (non-hidden) files, which are not
/// tables. Two files of one table are refused.
pub fn table_files(dir: &Path) -> Result<(Vec<TableFile>, Vec<PathBuf>), FolderError> {
    let open = |source| FolderError::List {
        path: dir.to_path_buf(),
        source,
    };
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(open)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .map_err(open)?;
    paths.sort();
    let mut tables: Vec<TableFile> = Vec::new();
    let mut other = Vec::new();
    for path in paths {
        let hidden = path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with('.'));
        if hidden || !path.is_file() {
            continue;
        }
        let Ok(format) = Format::detect(&path) else {
            other.push(path);
            continue;
        };
        let name = table_name(&path);
        if let Some(first) = tables.iter().find(|t| t.name == name) {
            return Err(FolderError::SameTable {
                table: name,
                first: first.path.clone(),
                second: path,
            });
        }
        tables.push(TableFile { name, path, format });
    }
    Ok((tables, other))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_names_drop_every_table_extension() {
        assert_eq!(table_name(Path::new("a/orders.csv.gz")), "orders");
        assert_eq!(table_name(Path::new("Orders.PARQUET")), "Orders");
        assert_eq!(table_name(Path::new("x.y.xlsx")), "x.y");
    }

    #[test]
    fn two_files_of_one_table_are_refused_and_other_files_listed() {
        let dir = tempfile::tempdir().expect("temporary folder");
        std::fs::write(dir.path().join("a.csv"), "x\n1\n").expect("write");
        std::fs::write(dir.path().join("notes.md"), "hi").expect("write");
        let (t, other) = table_files(dir.path()).expect("listed");
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].name, "a");
        assert_eq!(other, vec![dir.path().join("notes.md")]);
        std::fs::write(dir.path().join("a.parquet"), "PAR1").expect("write");
        let e = table_files(dir.path()).expect_err("two files of `a`");
        assert!(
            e.to_string().contains("two files name the table `a`"),
            "{e}"
        );
    }
}
