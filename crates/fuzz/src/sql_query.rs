//! SQL in CloudTrail Lake's dialect: any text either plans or fails with an error, never a
//! panic or a hang, and an error's position is inside the text. The same holds for the text
//! wrapped by a result table's column sort. Planning covers everything a query's text reaches
//! before an event is read (the dialect's rewrite, name resolution, types, the optimizer);
//! running is left out because a valid query may rightly take long (a cross join).
use std::sync::OnceLock;

use trailscope_model::{ingest_bytes, Limits};
use trailscope_sql::{EngineOptions, SqlEngine, SqlError};
use trailscope_store::Store;

/// Longest query tried: the dialect's recursion guard is what long inputs test, and planning
/// time grows with the text.
const MAX_QUERY: usize = 16 * 1024;

fn engine() -> &'static SqlEngine {
    static ENGINE: OnceLock<SqlEngine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let log = r#"{"Records":[{"eventVersion":"1.08","eventID":"e1","eventTime":"2024-01-22T10:00:00Z","eventName":"GetObject","eventSource":"s3.amazonaws.com","awsRegion":"us-east-1","sourceIPAddress":"10.0.0.1","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::1:user/a","sessionContext":{"attributes":{"mfaAuthenticated":"false"}}},"requestParameters":{"bucketName":"b","key":"k"},"resources":[{"type":"AWS::S3::Object","ARN":"arn:aws:s3:::b/k"}]}]}"#;
        let mut store = Store::new();
        store.load("events.json", |sink| {
            ingest_bytes(log.as_bytes(), Limits::default(), sink)
        });
        SqlEngine::over_store(std::sync::Arc::new(store), EngineOptions::default())
            .expect("an engine over one event")
    })
}

fn plan(sql: &str) -> Result<String, SqlError> {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a current-thread runtime")
        .block_on(engine().plan(sql))
}

fn check_position(sql: &str, error: &SqlError) {
    if let Some(line) = error.line {
        let lines = sql.split('\n').count() as u64;
        assert!(
            line >= 1 && line <= lines,
            "line {line} of {lines} in {sql:?}: {}",
            error.message
        );
        if let (Some(column), Some(text)) = (error.column, sql.split('\n').nth(line as usize - 1)) {
            let width = text.chars().count() as u64 + 1;
            assert!(
                column >= 1 && column <= width,
                "column {column} of {width} on line {line} of {sql:?}: {}",
                error.message
            );
        }
    }
}

pub fn sql_query(data: &[u8]) {
    // The first byte picks a column to sort by (as a click on a result's header), if any.
    let Some((&sort, rest)) = data.split_first() else {
        return;
    };
    let Ok(sql) = std::str::from_utf8(rest) else {
        return;
    };
    if sql.len() > MAX_QUERY {
        return;
    }
    if let Err(e) = plan(sql) {
        check_position(sql, &e);
    }
    if sort < 8 {
        let sorted = trailscope_sql::sorted_by(sql, usize::from(sort), sort % 2 == 1);
        if let Err(e) = plan(&sorted) {
            check_position(&sorted, &e);
        }
    }
}
