//! Derived metrics: `+ - * /`, unary minus, parentheses, `sqrt()` and numbers over the names of a report's
//! aggregates (`revenue / cost`, `(won / leads) * 100`). Parsed here, pure, so the
//! builder in the browser judges a formula as it is typed with the code the server runs; turned
//! into SQL only over expressions the compiler made, every division guarded so a zero denominator
//! gives null (never an error, NaN or infinity).

use std::fmt;

#[derive(Debug, Clone, PartialEq)]
pub enum Formula {
    Number(f64),
    Name(String),
    Neg(Box<Formula>),
    Bin(Box<Formula>, Op, Box<Formula>),
    /// `sqrt(x)`, for an interval's width (a negative x gives null).
    Sqrt(Box<Formula>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Add,
    Sub,
    Mul,
    Div,
}

/// Why a formula does not read, and where (a character position from 0).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormulaError {
    pub position: usize,
    pub message: String,
}

impl fmt::Display for FormulaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at character {}: {}", self.position + 1, self.message)
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Num(f64),
    Name(String),
    Sym(char),
}

fn lex(src: &str) -> Result<Vec<(usize, Tok)>, FormulaError> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c.is_ascii_digit() || (c == '.' && chars.get(i + 1).is_some_and(char::is_ascii_digit)) {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            let text: String = chars[start..i].iter().collect();
            let n = text.parse::<f64>().map_err(|_| FormulaError { position: start, message: format!("'{text}' is not a number") })?;
            out.push((start, Tok::Num(n)));
        } else if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            out.push((start, Tok::Name(chars[start..i].iter().collect())));
        } else if "+-*/()".contains(c) {
            out.push((i, Tok::Sym(c)));
            i += 1;
        } else {
            return Err(FormulaError { position: i, message: format!("'{c}' is not allowed: use + - * / ( ), numbers and aggregate names") });
        }
    }
    Ok(out)
}

struct Parser {
    toks: Vec<(usize, Tok)>,
    at: usize,
    len: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.at).map(|(_, t)| t)
    }

    fn pos(&self) -> usize {
        self.toks.get(self.at).map_or(self.len, |(p, _)| *p)
    }

    fn err<T>(&self, message: impl Into<String>) -> Result<T, FormulaError> {
        Err(FormulaError { position: self.pos(), message: message.into() })
    }

    fn sum(&mut self) -> Result<Formula, FormulaError> {
        let mut left = self.product()?;
        while let Some(Tok::Sym(c @ ('+' | '-'))) = self.peek() {
            let op = if *c == '+' { Op::Add } else { Op::Sub };
            self.at += 1;
            left = Formula::Bin(Box::new(left), op, Box::new(self.product()?));
        }
        Ok(left)
    }

    fn product(&mut self) -> Result<Formula, FormulaError> {
        let mut left = self.unary()?;
        while let Some(Tok::Sym(c @ ('*' | '/'))) = self.peek() {
            let op = if *c == '*' { Op::Mul } else { Op::Div };
            self.at += 1;
            left = Formula::Bin(Box::new(left), op, Box::new(self.unary()?));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Formula, FormulaError> {
        if let Some(Tok::Sym('-')) = self.peek() {
            self.at += 1;
            return Ok(Formula::Neg(Box::new(self.unary()?)));
        }
        self.atom()
    }

    fn atom(&mut self) -> Result<Formula, FormulaError> {
        match self.peek().cloned() {
            Some(Tok::Num(n)) => {
                self.at += 1;
                Ok(Formula::Number(n))
            }
            Some(Tok::Name(n)) if n.eq_ignore_ascii_case("sqrt") && self.toks.get(self.at + 1).is_some_and(|(_, t)| *t == Tok::Sym('(')) => {
                self.at += 2;
                let inner = self.sum()?;
                match self.peek() {
                    Some(Tok::Sym(')')) => {
                        self.at += 1;
                        Ok(Formula::Sqrt(Box::new(inner)))
                    }
                    _ => self.err("a ')' is missing"),
                }
            }
            Some(Tok::Name(n)) => {
                self.at += 1;
                Ok(Formula::Name(n))
            }
            Some(Tok::Sym('(')) => {
                self.at += 1;
                let inner = self.sum()?;
                match self.peek() {
                    Some(Tok::Sym(')')) => {
                        self.at += 1;
                        Ok(inner)
                    }
                    _ => self.err("a ')' is missing"),
                }
            }
            Some(Tok::Sym(c)) => self.err(format!("'{c}' cannot start a value")),
            None => self.err("the formula ends too soon"),
        }
    }
}

/// Reads a formula; at most 200 characters.
pub fn parse(src: &str) -> Result<Formula, FormulaError> {
    if src.chars().count() > 200 {
        return Err(FormulaError { position: 200, message: "a formula has at most 200 characters".into() });
    }
    let toks = lex(src)?;
    let mut p = Parser { toks, at: 0, len: src.chars().count() };
    let f = p.sum()?;
    if p.at < p.toks.len() {
        return p.err("unexpected text after the formula");
    }
    Ok(f)
}

impl Formula {
    /// The names it reads, in order of appearance.
    pub fn names(&self, out: &mut Vec<String>) {
        match self {
            Formula::Number(_) => {}
            Formula::Name(n) => out.push(n.clone()),
            Formula::Neg(f) | Formula::Sqrt(f) => f.names(out),
            Formula::Bin(a, _, b) => {
                a.names(out);
                b.names(out);
            }
        }
    }

    /// SQL over `sql_of(name)` (expressions the compiler made); numbers are written by Rust's own
    /// formatting of an f64, so no text of the formula reaches the SQL.
    pub fn to_sql(&self, sql_of: &dyn Fn(&str) -> Option<String>) -> Option<String> {
        Some(match self {
            Formula::Number(n) => format!("({n:?}::numeric)"),
            Formula::Name(n) => format!("({})::numeric", sql_of(n)?),
            Formula::Neg(f) => format!("(-{})", f.to_sql(sql_of)?),
            Formula::Sqrt(f) => {
                let x = f.to_sql(sql_of)?;
                format!("(CASE WHEN {x} >= 0 THEN sqrt({x}) END)")
            }
            Formula::Bin(a, op, b) => {
                let (a, b) = (a.to_sql(sql_of)?, b.to_sql(sql_of)?);
                match op {
                    Op::Add => format!("({a} + {b})"),
                    Op::Sub => format!("({a} - {b})"),
                    Op::Mul => format!("({a} * {b})"),
                    Op::Div => format!("({a} / NULLIF({b}, 0))"),
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precedence_and_parentheses_read_as_arithmetic() {
        let f = parse("revenue - cost * 2 / (leads + 1)").unwrap_or(Formula::Number(0.0));
        let sql = f.to_sql(&|n| Some(format!("\"{n}\""))).unwrap_or_default();
        assert_eq!(sql, "((\"revenue\")::numeric - (((\"cost\")::numeric * (2.0::numeric)) / NULLIF(((\"leads\")::numeric + (1.0::numeric)), 0)))");
        let mut names = Vec::new();
        f.names(&mut names);
        assert_eq!(names, ["revenue", "cost", "leads"]);
    }

    #[test]
    fn bad_formulas_say_where() {
        assert_eq!(parse("a + ").map_err(|e| e.position), Err(4));
        assert_eq!(parse("a ; drop table x").map_err(|e| e.position), Err(2));
        assert_eq!(parse("(a + b").map_err(|e| e.message), Err("a ')' is missing".to_string()));
        assert_eq!(parse("a b").map_err(|e| e.position), Err(2));
        assert!(parse("-a / -2.5").is_ok());
        let ci = parse("acc - 1.96 * sqrt(acc * (1 - acc) / n)").unwrap_or(Formula::Number(0.0));
        let mut names = Vec::new();
        ci.names(&mut names);
        assert_eq!(names, ["acc", "acc", "acc", "n"]);
        assert!(ci.to_sql(&|n| Some(n.to_string())).is_some_and(|s| s.contains("sqrt(")));
    }
}
