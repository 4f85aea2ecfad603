//! The check-constraint language (DESIGN §8): comparisons, `and`/`or`/`not`, arithmetic, `is [not]
//! null`, `[not] in (…)`, `[not] like`, parentheses and a few functions (`length lower upper abs
//! coalesce today`), over a row's columns, its promoted fields and `ext.<path>`. Parsed and
//! evaluated here, never handed to SQL. A check passes unless it is false (as SQL's CHECK: an unknown
//! because of a null passes; `is null` says it when nulls must fail).

use chrono::NaiveDate;

use super::error::DataError;

#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    Null,
    Bool(bool),
    Num(f64),
    Text(String),
    Date(NaiveDate),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Lit(Val),
    Field(String),
    Not(Box<Expr>),
    Neg(Box<Expr>),
    Bin(Box<Expr>, Op, Box<Expr>),
    IsNull(Box<Expr>, bool),
    In(Box<Expr>, Vec<Expr>, bool),
    Like(Box<Expr>, Box<Expr>, bool),
    Call(Func, Vec<Expr>),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Op {
    And,
    Or,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Func {
    Length,
    Lower,
    Upper,
    Abs,
    Coalesce,
    Today,
}

/// Expressions longer than this are refused (they are written by people, not generated).
pub const MAX_LEN: usize = 2000;
const MAX_DEPTH: usize = 64;

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Num(f64),
    Str(String),
    Ident(String),
    Sym(&'static str),
}

fn lex(src: &str) -> Result<Vec<(Tok, usize)>, DataError> {
    let err = |message: &str, position: usize| DataError::ExpressionInvalid { message: message.into(), position };
    if src.len() > MAX_LEN {
        return Err(err("the expression is longer than 2000 characters", MAX_LEN));
    }
    let chars: Vec<(usize, char)> = src.char_indices().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let (pos, c) = chars[i];
        let at = src[..pos].chars().count() + 1;
        if c.is_whitespace() {
            i += 1;
        } else if c.is_ascii_digit() || (c == '.' && chars.get(i + 1).is_some_and(|(_, d)| d.is_ascii_digit())) {
            let start = pos;
            while i < chars.len() && (chars[i].1.is_ascii_digit() || chars[i].1 == '.') {
                i += 1;
            }
            let end = chars.get(i).map_or(src.len(), |(p, _)| *p);
            let n = src[start..end].parse::<f64>().map_err(|_| err("not a number", at))?;
            out.push((Tok::Num(n), at));
        } else if c == '\'' {
            let mut s = String::new();
            i += 1;
            loop {
                match chars.get(i) {
                    None => return Err(err("a text in quotes is not closed", at)),
                    Some((_, '\'')) if chars.get(i + 1).is_some_and(|(_, d)| *d == '\'') => {
                        s.push('\'');
                        i += 2;
                    }
                    Some((_, '\'')) => {
                        i += 1;
                        break;
                    }
                    Some((_, ch)) => {
                        s.push(*ch);
                        i += 1;
                    }
                }
            }
            out.push((Tok::Str(s), at));
        } else if c.is_alphabetic() || c == '_' {
            let start = pos;
            while i < chars.len() && (chars[i].1.is_alphanumeric() || chars[i].1 == '_' || chars[i].1 == '.') {
                i += 1;
            }
            let end = chars.get(i).map_or(src.len(), |(p, _)| *p);
            out.push((Tok::Ident(src[start..end].to_string()), at));
        } else {
            let two: String = chars[i..chars.len().min(i + 2)].iter().map(|(_, c)| *c).collect();
            let sym = ["<=", ">=", "<>", "!=", "=="].into_iter().find(|s| two == *s);
            if let Some(s) = sym {
                out.push((Tok::Sym(s), at));
                i += 2;
            } else {
                let s = ["=", "<", ">", "+", "-", "*", "/", "%", "(", ")", ","].into_iter().find(|s| s.starts_with(c));
                match s {
                    Some(s) => out.push((Tok::Sym(s), at)),
                    None => return Err(err(&format!("unexpected '{c}'"), at)),
                }
                i += 1;
            }
        }
    }
    Ok(out)
}

struct Parser {
    toks: Vec<(Tok, usize)>,
    at: usize,
    depth: usize,
    end: usize,
}

impl Parser {
    fn pos(&self) -> usize {
        self.toks.get(self.at).map_or(self.end, |(_, p)| *p)
    }

    fn err<T>(&self, message: impl Into<String>) -> Result<T, DataError> {
        Err(DataError::ExpressionInvalid { message: message.into(), position: self.pos() })
    }

    fn keyword(&mut self, word: &str) -> bool {
        if let Some((Tok::Ident(w), _)) = self.toks.get(self.at)
            && w.eq_ignore_ascii_case(word)
        {
            self.at += 1;
            return true;
        }
        false
    }

    fn sym(&mut self, s: &str) -> bool {
        if let Some((Tok::Sym(t), _)) = self.toks.get(self.at)
            && *t == s
        {
            self.at += 1;
            return true;
        }
        false
    }

    fn deeper(&mut self) -> Result<(), DataError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH { self.err("the expression is nested too deeply") } else { Ok(()) }
    }

    fn or(&mut self) -> Result<Expr, DataError> {
        self.deeper()?;
        let mut left = self.and()?;
        while self.keyword("or") {
            left = Expr::Bin(Box::new(left), Op::Or, Box::new(self.and()?));
        }
        self.depth -= 1;
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, DataError> {
        let mut left = self.not()?;
        while self.keyword("and") {
            left = Expr::Bin(Box::new(left), Op::And, Box::new(self.not()?));
        }
        Ok(left)
    }

    fn not(&mut self) -> Result<Expr, DataError> {
        if self.keyword("not") {
            self.deeper()?;
            let inner = self.not()?;
            self.depth -= 1;
            return Ok(Expr::Not(Box::new(inner)));
        }
        self.comparison()
    }

    fn comparison(&mut self) -> Result<Expr, DataError> {
        let left = self.sum()?;
        if self.keyword("is") {
            let negated = self.keyword("not");
            if !self.keyword("null") {
                return self.err("expected null after is");
            }
            return Ok(Expr::IsNull(Box::new(left), !negated));
        }
        let negated = self.keyword("not");
        if self.keyword("in") {
            if !self.sym("(") {
                return self.err("expected ( after in");
            }
            let items = self.list()?;
            return Ok(Expr::In(Box::new(left), items, negated));
        }
        if self.keyword("like") {
            return Ok(Expr::Like(Box::new(left), Box::new(self.sum()?), negated));
        }
        if negated {
            return self.err("expected in or like after not");
        }
        let op = [("=", Op::Eq), ("==", Op::Eq), ("!=", Op::Ne), ("<>", Op::Ne), ("<=", Op::Le), (">=", Op::Ge), ("<", Op::Lt), (">", Op::Gt)]
            .into_iter()
            .find(|(s, _)| self.sym(s));
        match op {
            Some((_, op)) => Ok(Expr::Bin(Box::new(left), op, Box::new(self.sum()?))),
            None => Ok(left),
        }
    }

    fn sum(&mut self) -> Result<Expr, DataError> {
        let mut left = self.product()?;
        loop {
            let op = if self.sym("+") { Op::Add } else if self.sym("-") { Op::Sub } else { return Ok(left) };
            left = Expr::Bin(Box::new(left), op, Box::new(self.product()?));
        }
    }

    fn product(&mut self) -> Result<Expr, DataError> {
        let mut left = self.unary()?;
        loop {
            let op = if self.sym("*") {
                Op::Mul
            } else if self.sym("/") {
                Op::Div
            } else if self.sym("%") {
                Op::Rem
            } else {
                return Ok(left);
            };
            left = Expr::Bin(Box::new(left), op, Box::new(self.unary()?));
        }
    }

    fn unary(&mut self) -> Result<Expr, DataError> {
        if self.sym("-") {
            self.deeper()?;
            let inner = self.unary()?;
            self.depth -= 1;
            return Ok(Expr::Neg(Box::new(inner)));
        }
        self.primary()
    }

    fn list(&mut self) -> Result<Vec<Expr>, DataError> {
        let mut items = Vec::new();
        if self.sym(")") {
            return Ok(items);
        }
        loop {
            items.push(self.or()?);
            if self.sym(")") {
                return Ok(items);
            }
            if !self.sym(",") {
                return self.err("expected , or )");
            }
        }
    }

    fn primary(&mut self) -> Result<Expr, DataError> {
        let Some((tok, _)) = self.toks.get(self.at).cloned() else { return self.err("the expression ends too early") };
        self.at += 1;
        match tok {
            Tok::Num(n) => Ok(Expr::Lit(Val::Num(n))),
            Tok::Str(s) => Ok(Expr::Lit(Val::Text(s))),
            Tok::Sym("(") => {
                let inner = self.or()?;
                if !self.sym(")") {
                    return self.err("expected )");
                }
                Ok(inner)
            }
            Tok::Ident(word) => {
                let lower = word.to_ascii_lowercase();
                match lower.as_str() {
                    "true" => return Ok(Expr::Lit(Val::Bool(true))),
                    "false" => return Ok(Expr::Lit(Val::Bool(false))),
                    "null" => return Ok(Expr::Lit(Val::Null)),
                    _ => {}
                }
                if self.sym("(") {
                    let func = match lower.as_str() {
                        "length" => Func::Length,
                        "lower" => Func::Lower,
                        "upper" => Func::Upper,
                        "abs" => Func::Abs,
                        "coalesce" => Func::Coalesce,
                        "today" => Func::Today,
                        _ => {
                            self.at -= 1;
                            return self.err(format!("unknown function '{word}'"));
                        }
                    };
                    let args = self.list()?;
                    let arity_ok = match func {
                        Func::Today => args.is_empty(),
                        Func::Coalesce => !args.is_empty(),
                        _ => args.len() == 1,
                    };
                    if !arity_ok {
                        return self.err(format!("wrong number of arguments to {lower}"));
                    }
                    return Ok(Expr::Call(func, args));
                }
                if ["and", "or", "not", "in", "like", "is"].contains(&lower.as_str()) {
                    self.at -= 1;
                    return self.err(format!("unexpected '{word}'"));
                }
                Ok(Expr::Field(word))
            }
            Tok::Sym(s) => {
                self.at -= 1;
                self.err(format!("unexpected '{s}'"))
            }
        }
    }
}

pub fn parse(src: &str) -> Result<Expr, DataError> {
    let toks = lex(src)?;
    let end = src.chars().count() + 1;
    if toks.is_empty() {
        return Err(DataError::ExpressionInvalid { message: "the expression is empty".into(), position: 1 });
    }
    let mut p = Parser { toks, at: 0, depth: 0, end };
    let e = p.or()?;
    if p.at < p.toks.len() {
        return p.err("unexpected text after the expression");
    }
    Ok(e)
}

impl Expr {
    /// Every field the expression reads, so a schema can tell whether it names only known ones.
    pub fn fields(&self, out: &mut Vec<String>) {
        match self {
            Expr::Lit(_) => {}
            Expr::Field(f) => out.push(f.clone()),
            Expr::Not(e) | Expr::Neg(e) | Expr::IsNull(e, _) => e.fields(out),
            Expr::Bin(a, _, b) | Expr::Like(a, b, _) => {
                a.fields(out);
                b.fields(out);
            }
            Expr::In(a, items, _) => {
                a.fields(out);
                items.iter().for_each(|i| i.fields(out));
            }
            Expr::Call(_, args) => args.iter().for_each(|a| a.fields(out)),
        }
    }

    /// The value of the expression for a row; `field` reads a field (`Null` when absent).
    pub fn eval(&self, field: &dyn Fn(&str) -> Val) -> Val {
        match self {
            Expr::Lit(v) => v.clone(),
            Expr::Field(f) => field(f),
            Expr::Not(e) => match e.eval(field) {
                Val::Bool(b) => Val::Bool(!b),
                _ => Val::Null,
            },
            Expr::Neg(e) => match e.eval(field) {
                Val::Num(n) => Val::Num(-n),
                _ => Val::Null,
            },
            Expr::IsNull(e, want_null) => Val::Bool((e.eval(field) == Val::Null) == *want_null),
            Expr::In(e, items, negated) => {
                let v = e.eval(field);
                if v == Val::Null {
                    return Val::Null;
                }
                let found = items.iter().any(|i| compare(&v, &i.eval(field)) == Some(std::cmp::Ordering::Equal));
                Val::Bool(found != *negated)
            }
            Expr::Like(e, pattern, negated) => match (e.eval(field), pattern.eval(field)) {
                (Val::Text(s), Val::Text(p)) => Val::Bool(like(&s, &p) != *negated),
                _ => Val::Null,
            },
            Expr::Call(func, args) => call(*func, args, field),
            Expr::Bin(a, op, b) => binary(a.eval(field), *op, || b.eval(field)),
        }
    }

    /// A check passes unless it is false.
    pub fn passes(&self, field: &dyn Fn(&str) -> Val) -> bool {
        self.eval(field) != Val::Bool(false)
    }
}

fn call(func: Func, args: &[Expr], field: &dyn Fn(&str) -> Val) -> Val {
    let first = || args.first().map_or(Val::Null, |a| a.eval(field));
    match func {
        Func::Length => match first() {
            Val::Text(s) => Val::Num(s.chars().count() as f64),
            _ => Val::Null,
        },
        Func::Lower => match first() {
            Val::Text(s) => Val::Text(s.to_lowercase()),
            _ => Val::Null,
        },
        Func::Upper => match first() {
            Val::Text(s) => Val::Text(s.to_uppercase()),
            _ => Val::Null,
        },
        Func::Abs => match first() {
            Val::Num(n) => Val::Num(n.abs()),
            _ => Val::Null,
        },
        Func::Coalesce => args.iter().map(|a| a.eval(field)).find(|v| *v != Val::Null).unwrap_or(Val::Null),
        Func::Today => Val::Date(chrono::Utc::now().date_naive()),
    }
}

fn binary(a: Val, op: Op, b: impl FnOnce() -> Val) -> Val {
    match op {
        // Three-valued logic, as SQL: false and unknown is false, true or unknown is true.
        Op::And => match a {
            Val::Bool(false) => Val::Bool(false),
            a => match (a, b()) {
                (_, Val::Bool(false)) => Val::Bool(false),
                (Val::Bool(true), Val::Bool(true)) => Val::Bool(true),
                _ => Val::Null,
            },
        },
        Op::Or => match a {
            Val::Bool(true) => Val::Bool(true),
            a => match (a, b()) {
                (_, Val::Bool(true)) => Val::Bool(true),
                (Val::Bool(false), Val::Bool(false)) => Val::Bool(false),
                _ => Val::Null,
            },
        },
        Op::Eq | Op::Ne | Op::Lt | Op::Le | Op::Gt | Op::Ge => {
            let b = b();
            let Some(ord) = compare(&a, &b) else { return Val::Null };
            use std::cmp::Ordering::*;
            Val::Bool(match op {
                Op::Eq => ord == Equal,
                Op::Ne => ord != Equal,
                Op::Lt => ord == Less,
                Op::Le => ord != Greater,
                Op::Gt => ord == Greater,
                _ => ord != Less,
            })
        }
        Op::Add | Op::Sub | Op::Mul | Op::Div | Op::Rem => match (a, b()) {
            (Val::Num(x), Val::Num(y)) => {
                let r = match op {
                    Op::Add => x + y,
                    Op::Sub => x - y,
                    Op::Mul => x * y,
                    Op::Div => x / y,
                    _ => x % y,
                };
                // A division by zero is unknown, never an infinity that compares.
                if r.is_finite() { Val::Num(r) } else { Val::Null }
            }
            (Val::Text(x), Val::Text(y)) if op == Op::Add => Val::Text(x + &y),
            _ => Val::Null,
        },
    }
}

/// Values of one kind compare; a date compares with a text in ISO form; anything else is unknown.
fn compare(a: &Val, b: &Val) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (Val::Num(x), Val::Num(y)) => x.partial_cmp(y),
        (Val::Text(x), Val::Text(y)) => Some(x.cmp(y)),
        (Val::Bool(x), Val::Bool(y)) => Some(x.cmp(y)),
        (Val::Date(x), Val::Date(y)) => Some(x.cmp(y)),
        (Val::Date(x), Val::Text(y)) => y.parse::<NaiveDate>().ok().map(|y| x.cmp(&y)),
        (Val::Text(x), Val::Date(y)) => x.parse::<NaiveDate>().ok().map(|x| x.cmp(y)),
        _ => None,
    }
}

/// SQL LIKE: `%` any run of characters, `_` one character, `\` escapes.
pub fn like(s: &str, pattern: &str) -> bool {
    let s: Vec<char> = s.chars().collect();
    let p: Vec<char> = pattern.chars().collect();
    // Iterative matcher with one backtrack point for the last `%`: linear in practice, no recursion.
    let (mut i, mut j) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while i < s.len() {
        if j < p.len() && p[j] == '\\' && j + 1 < p.len() && p[j + 1] == s[i] {
            i += 1;
            j += 2;
        } else if j < p.len() && (p[j] == '_' || (p[j] == s[i] && p[j] != '%' && p[j] != '\\')) {
            i += 1;
            j += 1;
        } else if j < p.len() && p[j] == '%' {
            star = Some((j, i));
            j += 1;
        } else if let Some((sj, si)) = star {
            j = sj + 1;
            i = si + 1;
            star = Some((sj, si + 1));
        } else {
            return false;
        }
    }
    while j < p.len() && p[j] == '%' {
        j += 1;
    }
    j == p.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(name: &str) -> Val {
        match name {
            "price" => Val::Num(29.99),
            "cost" => Val::Num(10.0),
            "code" => Val::Text("PROD-001".into()),
            "starts" => Val::Date(NaiveDate::from_ymd_opt(2024, 1, 1).unwrap_or_default()),
            "ext.color" => Val::Text("red".into()),
            _ => Val::Null,
        }
    }

    fn check(src: &str) -> bool {
        match parse(src) {
            Ok(e) => e.passes(&row),
            Err(e) => panic!("{src}: {e}"),
        }
    }

    #[test]
    fn evaluates_comparisons_logic_and_arithmetic() {
        assert!(check("price > cost and price - cost > 19"));
        assert!(!check("price < cost"));
        assert!(check("price * 2 >= 59.98 or false"));
        assert!(check("not (price = 0)"));
        assert!(check("code like 'PROD-%' and code not like 'X%'"));
        assert!(check("ext.color in ('red', 'blue') and lower(code) = 'prod-001'"));
        assert!(check("starts >= '2023-12-31' and length(code) = 8"));
        assert!(check("missing is null and price is not null"));
        assert!(!check("missing is not null"));
        // Unknown passes, as in SQL: a null column does not break `missing > 3`.
        assert!(check("missing > 3"));
        // Division by zero is unknown, not an infinity.
        assert!(check("price / 0 > 1"));
        assert!(!check("coalesce(missing, 0) > 1"));
    }

    #[test]
    fn refuses_what_is_not_the_language_with_a_position() {
        for bad in ["", "price >", "price = = 1", "drop table x", "price; delete", "exec('x')", "'open", "(price > 1", "price not 3"] {
            match parse(bad) {
                Err(DataError::ExpressionInvalid { position, .. }) => assert!(position >= 1, "{bad}"),
                other => panic!("{bad} parsed: {other:?}"),
            }
        }
        let deep = "(".repeat(200) + "1" + &")".repeat(200);
        assert!(parse(&deep).is_err());
        assert!(parse(&"x".repeat(3000)).is_err());
    }

    #[test]
    fn like_matches_as_sql_does() {
        assert!(like("abc", "a%c"));
        assert!(like("abc", "_b_"));
        assert!(!like("abc", "a_"));
        assert!(like("a%c", "a\\%c"));
        assert!(!like("abc", "a\\%c"));
        assert!(like(&"a".repeat(1000), &"%a".repeat(20)));
    }
}
