//! What reading a file found and said, as codes with parameters: the detection chips (encoding,
//! delimiter, header line, sheet), warnings, why an entry was skipped, why a row was rejected, why
//! a file cannot be read. Stored as JSON text where a message was stored before, and rendered in
//! the reader's language by [`note_text`]; older stored prose is shown as it is.

use serde::{Deserialize, Serialize};

use crate::lang::Lang;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "note", rename_all = "snake_case")]
pub enum Note {
    Encoding { name: String },
    /// `delimiter`: the character, or `tab`.
    Delimiter { delimiter: String },
    HeaderOnLine { line: i64 },
    HeaderOnRow { line: i64 },
    Sheet { name: String },
    HiddenSheet,
    OneObjectPerLine,
    SingleObject,
    /// `sheet`: for a workbook's sheet; none for a text file.
    SkippedAboveHeader { count: usize, sheet: Option<String> },
    NoHeader { sheet: Option<String> },
    SystemFile,
    SymbolicLink,
    Encrypted,
    UnsupportedFormat,
    NestedTooDeep,
    EmptyNestedZip,
    EmptyFile,
    NotATable,
    TooManyFields { fields: usize, header: usize },
    /// A row repeating the header, kept aside so it does not turn typed columns into text.
    RepeatedHeader,
}

impl Note {
    /// What is stored in place of a message.
    pub fn stored(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    pub fn text(&self, l: Lang) -> String {
        let on_sheet = |sheet: &Option<String>| match sheet {
            Some(s) => l.pick(&format!("hoja «{s}»: "), &format!("sheet '{s}': ")).to_string(),
            None => String::new(),
        };
        match self {
            Note::Encoding { name } => format!("{} {name}", l.pick("codificación", "encoding")),
            Note::Delimiter { delimiter } if delimiter == "tab" => l.pick("separador: tabulador", "delimiter: tab").into(),
            Note::Delimiter { delimiter } => format!("{} «{delimiter}»", l.pick("separador", "delimiter")),
            Note::HeaderOnLine { line } => format!("{} {line}", l.pick("cabecera en la línea", "header on line")),
            Note::HeaderOnRow { line } => format!("{} {line}", l.pick("cabecera en la fila", "header on row")),
            Note::Sheet { name } => format!("{} «{name}»", l.pick("hoja", "sheet")),
            Note::HiddenSheet => l.pick("hoja oculta", "hidden sheet").into(),
            Note::OneObjectPerLine => l.pick("un objeto por línea", "one object per line").into(),
            Note::SingleObject => l.pick("un solo objeto", "a single object").into(),
            Note::SkippedAboveHeader { count, sheet } => format!(
                "{}{count} {}",
                on_sheet(sheet),
                l.pick("línea(s) sobre la cabecera omitida(s) (títulos o notas)", "line(s) above the header were skipped (titles or notes)")
            ),
            Note::NoHeader { sheet } => format!(
                "{}{}",
                on_sheet(sheet),
                l.pick("no hay fila de cabecera; las columnas se llaman column_1, column_2…", "no header row found; columns are named column_1, column_2…")
            ),
            Note::SystemFile => l.pick("archivo del sistema u oculto", "system or hidden file").into(),
            Note::SymbolicLink => l.pick("enlace simbólico", "symbolic link").into(),
            Note::Encrypted => l
                .pick("cifrado (con contraseña); añádelo al ZIP sin contraseña", "encrypted (password-protected); add it to the ZIP without a password")
                .into(),
            Note::UnsupportedFormat => l
                .pick(
                    "formato no admitido; se leen .csv, .tsv, .txt, .json, .jsonl, .ndjson, .xlsx, .xlsm, .xls, .xlsb, .ods o un .zip de ellos",
                    "unsupported format; supported: .csv, .tsv, .txt, .json, .jsonl, .ndjson, .xlsx, .xlsm, .xls, .xlsb, .ods or a .zip of them",
                )
                .into(),
            Note::NestedTooDeep => l
                .pick("un ZIP dentro de un ZIP dentro de un ZIP: solo se lee un nivel", "a ZIP inside a ZIP inside a ZIP: only one level of nesting is read")
                .into(),
            Note::EmptyNestedZip => l.pick("el ZIP interior no contiene ningún archivo de datos", "the nested ZIP holds no data file").into(),
            Note::EmptyFile => l.pick("el archivo está vacío", "the file is empty").into(),
            Note::NotATable => l
                .pick(
                    "es texto corrido, no una tabla: ningún separador divide sus líneas en columnas",
                    "plain text, not a table: no delimiter splits its lines into columns",
                )
                .into(),
            Note::RepeatedHeader => l
                .pick("fila de cabecera repetida: se deja aparte para que no convierta fechas e importes en texto", "the header row again: kept aside so it does not turn dates and amounts into text")
                .into(),
            Note::TooManyFields { fields, header } => match l {
                Lang::Es => format!("{fields} campos donde la cabecera tiene {header}"),
                Lang::En => format!("{fields} fields where the header has {header}"),
            },
        }
    }
}

/// A stored message as the reader reads it: a coded note in their language, older prose as it is.
pub fn note_text(stored: &str, lang: Lang) -> String {
    lang.render_coded(stored, "note", Note::text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_render_in_both_languages() {
        let n = Note::HeaderOnLine { line: 3 }.stored();
        assert_eq!(note_text(&n, Lang::Es), "cabecera en la línea 3");
        assert_eq!(note_text(&n, Lang::En), "header on line 3");
        let d = Note::Delimiter { delimiter: ";".into() }.stored();
        assert_eq!(note_text(&d, Lang::Es), "separador «;»");
        assert_eq!(note_text("written before codes", Lang::En), "written before codes");
    }
}
