//! The functions Lake and Athena users write that DataFusion spells differently or lacks:
//! `json_extract_scalar`, `json_extract`, `element_at` on maps, `from_iso8601_timestamp`,
//! `from_iso8601_date`. Written here because each is Presto's behaviour over CloudTrail's
//! shapes (a JSON path over a `map<string,string>` column, for one), which no DataFusion
//! function has.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, MapArray, StringArray, StringBuilder};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{exec_err, plan_err, ScalarValue};
use datafusion::error::Result;
use datafusion::logical_expr::simplify::{ExprSimplifyResult, SimplifyContext};
use datafusion::logical_expr::{
    ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use datafusion::prelude::SessionContext;
use serde_json::Value;

/// Registers the dialect's functions on `ctx`.
pub(crate) fn register(ctx: &SessionContext) {
    let config = ctx.state().config_options().clone();
    ctx.register_udf(ScalarUDF::from(JsonExtract::new(true)));
    ctx.register_udf(ScalarUDF::from(JsonExtract::new(false)));
    ctx.register_udf(ScalarUDF::from(ElementAt::new()));
    ctx.register_udf(
        datafusion::functions::datetime::to_timestamp_millis(&config)
            .as_ref()
            .clone()
            .with_aliases(["from_iso8601_timestamp"]),
    );
    ctx.register_udf(
        datafusion::functions::datetime::to_date()
            .as_ref()
            .clone()
            .with_aliases(["from_iso8601_date"]),
    );
}

/// `json_extract_scalar(json, path)` (a string, number or flag as text; else null) and
/// `json_extract(json, path)` (the value as JSON text), over JSON text or a
/// `map<string,string>` column (read as the object it came from).
#[derive(Debug, PartialEq, Eq, Hash)]
struct JsonExtract {
    scalar: bool,
    signature: Signature,
}

impl JsonExtract {
    fn new(scalar: bool) -> Self {
        JsonExtract {
            scalar,
            signature: Signature::any(2, Volatility::Immutable),
        }
    }
}

impl ScalarUDFImpl for JsonExtract {
    fn name(&self) -> &str {
        if self.scalar {
            "json_extract_scalar"
        } else {
            "json_extract"
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        match arg_types.first() {
            Some(DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View | DataType::Map(..) | DataType::Null) => {
                Ok(DataType::Utf8)
            }
            Some(other) => plan_err!(
                "{}: the first argument must be JSON text or a map such as requestParameters, not {other}",
                self.name()
            ),
            None => plan_err!("{}(json, path) takes two arguments", self.name()),
        }
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let (Some(json), Some(paths)) = (arrays.first(), arrays.get(1)) else {
            return exec_err!("{}(json, path) takes two arguments", self.name());
        };
        let paths = datafusion::arrow::compute::cast(paths, &DataType::Utf8)?;
        let paths = paths.as_string::<i32>();
        let texts = Documents::of(json)?;
        let mut out = StringBuilder::with_capacity(rows, rows * 8);
        let mut parsed_path: Option<(String, Vec<Step>)> = None;
        for row in 0..rows {
            if paths.is_null(row) {
                out.append_null();
                continue;
            }
            let path = paths.value(row);
            if parsed_path.as_ref().map(|(p, _)| p.as_str()) != Some(path) {
                parsed_path = Some((
                    path.to_string(),
                    parse_path(path).map_err(|e| {
                        datafusion::error::DataFusionError::Execution(format!(
                            "{}: {e}",
                            self.name()
                        ))
                    })?,
                ));
            }
            let steps = parsed_path
                .as_ref()
                .map(|(_, s)| s.as_slice())
                .unwrap_or_default();
            let found = texts.get(row).and_then(|doc| {
                let mut at = &doc;
                for step in steps {
                    at = match step {
                        Step::Key(k) => at.get(k.as_str())?,
                        Step::Index(i) => at.get(*i)?,
                    };
                }
                Some(at.clone())
            });
            match (found, self.scalar) {
                (Some(Value::String(s)), true) => out.append_value(s),
                (Some(v @ (Value::Number(_) | Value::Bool(_))), true) => {
                    out.append_value(v.to_string())
                }
                (Some(Value::Null) | None, _) | (Some(_), true) => out.append_null(),
                (Some(v), false) => out.append_value(v.to_string()),
            }
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }
}

/// The documents a JSON function reads, one per row.
enum Documents<'a> {
    Text(&'a StringArray),
    Other(ArrayRef),
    Map(&'a MapArray),
}

impl<'a> Documents<'a> {
    fn of(array: &'a ArrayRef) -> Result<Self> {
        Ok(match array.data_type() {
            DataType::Utf8 => Documents::Text(array.as_string::<i32>()),
            DataType::Map(..) => Documents::Map(array.as_map()),
            _ => Documents::Other(datafusion::arrow::compute::cast(array, &DataType::Utf8)?),
        })
    }

    fn get(&self, row: usize) -> Option<Value> {
        let text = |a: &StringArray| {
            (!a.is_null(row))
                .then(|| serde_json::from_str(a.value(row)).ok())
                .flatten()
        };
        match self {
            Documents::Text(a) => text(a),
            Documents::Other(a) => text(a.as_string::<i32>()),
            Documents::Map(m) => {
                if m.is_null(row) {
                    return None;
                }
                let entries = m.value(row);
                let keys = entries.column(0).as_string::<i32>();
                let values = entries.column(1);
                let values = values.as_string_opt::<i32>()?;
                let mut object = serde_json::Map::new();
                for i in 0..entries.len() {
                    let value = if values.is_null(i) {
                        Value::Null
                    } else {
                        // A map keeps nested objects and arrays as their JSON text: read back.
                        let v = values.value(i);
                        if v.starts_with('{') || v.starts_with('[') {
                            serde_json::from_str(v).unwrap_or_else(|_| Value::String(v.into()))
                        } else {
                            Value::String(v.into())
                        }
                    };
                    object.insert(keys.value(i).to_string(), value);
                }
                Some(Value::Object(object))
            }
        }
    }
}

/// One step of a JSON path.
#[derive(Clone, Debug, PartialEq)]
enum Step {
    Key(String),
    Index(usize),
}

/// The JSON paths Presto's `json_extract` reads: `$`, `.name`, `["name"]`, `['name']`, `[0]`.
fn parse_path(path: &str) -> std::result::Result<Vec<Step>, String> {
    let bad = || format!("{path:?} is not a JSON path such as $.bucketName or $.items[0].name");
    let rest = path.trim().strip_prefix('$').ok_or_else(bad)?;
    let mut steps = Vec::new();
    let mut chars = rest.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        match c {
            '.' => {
                let mut key = String::new();
                while let Some(&(_, c)) = chars.peek() {
                    if c == '.' || c == '[' {
                        break;
                    }
                    key.push(c);
                    chars.next();
                }
                if key.is_empty() {
                    return Err(bad());
                }
                steps.push(Step::Key(key));
            }
            '[' => {
                let mut inside = String::new();
                let mut closed = false;
                let quote = chars
                    .peek()
                    .map(|&(_, c)| c)
                    .filter(|c| *c == '"' || *c == '\'');
                if let Some(q) = quote {
                    chars.next();
                    for (_, c) in chars.by_ref() {
                        if c == q {
                            break;
                        }
                        inside.push(c);
                    }
                }
                for (_, c) in chars.by_ref() {
                    if c == ']' {
                        closed = true;
                        break;
                    }
                    if quote.is_none() {
                        inside.push(c);
                    }
                }
                if !closed {
                    return Err(bad());
                }
                steps.push(match quote {
                    Some(_) => Step::Key(inside),
                    None => Step::Index(inside.trim().parse().map_err(|_| bad())?),
                });
            }
            _ => return Err(bad()),
        }
    }
    Ok(steps)
}

/// `element_at(map, key)` (the value, or null) and `element_at(array, index)` (1-based, from
/// the end when negative), as Presto has them: DataFusion's `element_at` takes arrays only.
/// Planned as DataFusion's own functions (`map_extract`, `array_element`).
#[derive(Debug, PartialEq, Eq, Hash)]
struct ElementAt {
    signature: Signature,
}

impl ElementAt {
    fn new() -> Self {
        ElementAt {
            signature: Signature::any(2, Volatility::Immutable),
        }
    }
}

impl ScalarUDFImpl for ElementAt {
    fn name(&self) -> &str {
        "element_at"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        match arg_types.first() {
            Some(DataType::Map(entries, _)) => match entries.data_type() {
                DataType::Struct(fields) if fields.len() == 2 => Ok(fields
                    .get(1)
                    .map_or(DataType::Null, |f| f.data_type().clone())),
                _ => plan_err!("element_at: a map without key and value"),
            },
            Some(
                DataType::List(item) | DataType::LargeList(item) | DataType::FixedSizeList(item, _),
            ) => Ok(item.data_type().clone()),
            Some(DataType::Null) => Ok(DataType::Null),
            Some(other) => plan_err!("element_at takes a map or an array, not {other}"),
            None => plan_err!("element_at(map, key) takes two arguments"),
        }
    }

    fn simplify(&self, args: Vec<Expr>, info: &SimplifyContext) -> Result<ExprSimplifyResult> {
        let [container, key] = <[Expr; 2]>::try_from(args).map_err(|_| {
            datafusion::error::DataFusionError::Plan("element_at takes two arguments".into())
        })?;
        let rewritten = match info.get_data_type(&container)? {
            DataType::Map(..) => datafusion::functions_nested::expr_fn::array_element(
                datafusion::functions_nested::expr_fn::map_extract(container, key),
                Expr::Literal(ScalarValue::Int64(Some(1)), None),
            ),
            _ => datafusion::functions_nested::expr_fn::array_element(container, key),
        };
        Ok(ExprSimplifyResult::Simplified(rewritten))
    }

    fn invoke_with_args(&self, _args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        exec_err!("element_at is planned as map_extract or array_element, never run itself")
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn json_paths_read_as_presto_reads_them() {
        assert_eq!(parse_path("$").unwrap(), vec![]);
        assert_eq!(
            parse_path("$.a.b[2]['c d'][\"e\"]").unwrap(),
            vec![
                Step::Key("a".into()),
                Step::Key("b".into()),
                Step::Index(2),
                Step::Key("c d".into()),
                Step::Key("e".into())
            ]
        );
        for bad in ["a.b", "$.", "$[x", "$..a", "$[one]"] {
            assert!(parse_path(bad).is_err(), "{bad}");
        }
    }
}
