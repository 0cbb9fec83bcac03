//! The engine: a DataFusion session with the dialect's rewrite and functions, over the events.

use std::sync::Arc;

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::logical_expr::LogicalPlan;
use datafusion::prelude::{SessionConfig, SessionContext};
use trailscope_store::Store;

use crate::error::SqlError;
use crate::schema::TABLE;
use crate::table::EventsTable;

/// How much the engine may use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EngineOptions {
    /// Memory the engine may hold for sorts, joins and aggregates beyond the table itself; a
    /// query that needs more fails with an error saying so (a huge cross join, say).
    pub memory_limit_bytes: usize,
    /// Partitions a query runs in (1 in the browser, which has no threads to run more).
    pub partitions: usize,
}

impl Default for EngineOptions {
    fn default() -> Self {
        EngineOptions {
            memory_limit_bytes: 2 << 30,
            partitions: 2,
        }
    }
}

/// A query's answer.
#[derive(Clone, Debug)]
pub struct SqlAnswer {
    /// Its columns.
    pub schema: SchemaRef,
    /// Its rows.
    pub batches: Vec<RecordBatch>,
}

impl SqlAnswer {
    /// Rows in the answer.
    pub fn rows(&self) -> usize {
        self.batches.iter().map(RecordBatch::num_rows).sum()
    }
}

/// SQL over one events table, in CloudTrail Lake's dialect.
pub struct SqlEngine {
    ctx: SessionContext,
}

/// A session with the dialect's functions, under the memory limit.
fn session(options: EngineOptions) -> Result<SessionContext, SqlError> {
    let config = SessionConfig::new()
        .with_target_partitions(options.partitions.max(1))
        .with_information_schema(false);
    let runtime = RuntimeEnvBuilder::new()
        .with_memory_limit(options.memory_limit_bytes, 1.0)
        .build_arc()
        .map_err(SqlError::from_datafusion)?;
    let ctx = SessionContext::new_with_config_rt(config, runtime);
    crate::functions::register(&ctx);
    Ok(ctx)
}

impl SqlEngine {
    /// An engine over `store`'s events.
    pub fn over_store(store: Arc<Store>, options: EngineOptions) -> Result<Self, SqlError> {
        let ctx = session(options)?;
        ctx.register_table(TABLE, Arc::new(EventsTable::new(store)))
            .map_err(SqlError::from_datafusion)?;
        Ok(SqlEngine { ctx })
    }

    /// An engine over Parquet written by `trailscope export` (files, or folders searched for
    /// `.parquet` files), read in place: a query reads only the columns it names, a row group
    /// at a time, so the trail never has to fit in memory. Fails, naming the file, on a file
    /// that is not Parquet or whose schema is not the export's.
    #[cfg(feature = "parquet-folders")]
    pub fn over_parquet(
        paths: &[std::path::PathBuf],
        options: EngineOptions,
    ) -> Result<Self, SqlError> {
        let files = crate::parquet_folder::export_files(paths)?;
        let ctx = session(options)?;
        ctx.register_table(TABLE, crate::parquet_folder::listing_table(&files)?)
            .map_err(SqlError::from_datafusion)?;
        Ok(SqlEngine { ctx })
    }

    /// Runs one query.
    pub async fn run(&self, sql: &str) -> Result<SqlAnswer, SqlError> {
        self.run_unlocated(sql).await.map_err(|e| e.located_in(sql))
    }

    /// Plans one query without running it: the optimized logical plan, indented. Everything a
    /// query's text can reach before any event is read (the dialect's rewrite, name
    /// resolution, types, the optimizer), which is what the SQL fuzz target drives.
    pub async fn plan(&self, sql: &str) -> Result<String, SqlError> {
        let plan = self
            .logical_plan(sql)
            .await
            .map_err(|e| e.located_in(sql))?;
        let optimized = self
            .ctx
            .state()
            .optimize(&plan)
            .map_err(|e| SqlError::from_datafusion(e).located_in(sql))?;
        let text = optimized.display_indent().to_string();
        Ok(text)
    }

    async fn logical_plan(&self, sql: &str) -> Result<LogicalPlan, SqlError> {
        let statement = crate::dialect::prepare(sql)?;
        self.ctx
            .state()
            .statement_to_plan(statement)
            .await
            .map_err(SqlError::from_datafusion)
    }

    async fn run_unlocated(&self, sql: &str) -> Result<SqlAnswer, SqlError> {
        let plan = self.logical_plan(sql).await?;
        let frame = self
            .ctx
            .execute_logical_plan(plan)
            .await
            .map_err(SqlError::from_datafusion)?;
        let schema: SchemaRef = Arc::new(frame.schema().as_arrow().clone());
        let batches = frame.collect().await.map_err(SqlError::from_datafusion)?;
        Ok(SqlAnswer { schema, batches })
    }
}
