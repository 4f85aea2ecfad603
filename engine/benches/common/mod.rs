//! What the benchmarks share: a scratch database with the migrations applied, dropped afterwards.
#![allow(dead_code)]

use anyhow::Context;

pub mod http;

pub struct ScratchDb {
    admin: sqlx::PgPool,
    name: String,
    pub url: String,
    pub pool: sqlx::PgPool,
}

impl ScratchDb {
    /// Recreates database `name` next to `DATABASE_URL`'s and migrates it.
    pub async fn create(name: &str, connections: u32) -> anyhow::Result<Self> {
        let admin_url = std::env::var("DATABASE_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
        let admin = sqlx::PgPool::connect(&admin_url)
            .await
            .context("DATABASE_URL")?;
        // The name is ours (a constant), never user input.
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
        )))
        .execute(&admin)
        .await?;
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&admin)
            .await?;
        let url = match admin_url.rsplit_once('/') {
            Some((base, _)) => format!("{base}/{name}"),
            None => anyhow::bail!("DATABASE_URL has no database name"),
        };
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(connections)
            .connect(&url)
            .await?;
        engine::store::MIGRATOR.run(&pool).await?;
        Ok(ScratchDb {
            admin,
            name: name.to_string(),
            url,
            pool,
        })
    }

    pub async fn drop(self) -> anyhow::Result<()> {
        self.pool.close().await;
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&self.admin)
            .await?;
        Ok(())
    }
}
