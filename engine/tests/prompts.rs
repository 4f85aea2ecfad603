//! Prompts on the real database: versions are immutable and numbered, visibility follows ownership
//! and sharing, bad drafts are refused with their reason, and the default moves where an admin says.

use engine::ErrorCode;
use engine::auth::{CurrentUser, Password, Role, Username, create_user};
use engine::classify::prompts::{create_prompt, duplicate_prompt, list_prompts, prompt_versions, save_version, set_default_prompt};
use engine::classify::prompts::{ensure_default_prompt, latest_version};
use engine::classify::{Category, PromptDraft};
use sqlx::PgPool;

async fn user(pool: &PgPool, name: &str, role: Role) -> anyhow::Result<CurrentUser> {
    let n = Username::parse(name)?;
    Ok(create_user(pool, &n, &Password::parse("a long enough secret", &n)?, role).await?)
}

fn cat(name: &str, keywords: &[&str]) -> Category {
    Category { name: name.into(), description: format!("{name} expenses"), keywords: keywords.iter().map(|k| k.to_string()).collect(), priority: 0 }
}

fn draft(name: &str) -> PromptDraft {
    PromptDraft {
        name: Some(name.into()),
        label: None,
        template: "Clasifica cada gasto.".into(),
        categories: vec![cat("Viajes", &["taxi", " renfe "]), cat("Suministros", &["luz"])],
        shared: None,
    }
}

#[sqlx::test(migrator = "engine::store::MIGRATOR")]
async fn versions_visibility_validation_and_default(pool: PgPool) -> anyhow::Result<()> {
    ensure_default_prompt(&pool).await?;
    let ana = user(&pool, "ana", Role::Analyst).await?;
    let bea = user(&pool, "bea", Role::Analyst).await?;
    let vera = user(&pool, "vera", Role::Viewer).await?;
    let root = user(&pool, "root", Role::Admin).await?;

    let v1 = create_prompt(&pool, &ana, &draft("Gastos de Ana")).await?;
    assert_eq!(v1.version, 1);
    assert_eq!(v1.categories[0].keywords, ["taxi", "renfe"], "keywords are trimmed");
    assert!(v1.compiled.contains("1. Viajes - Viajes expenses") && v1.compiled.contains("Keywords: taxi, renfe"), "{}", v1.compiled);
    assert!(v1.compiled.contains("row_index"));

    let mut next = draft("Gastos de Ana");
    next.categories.push(cat("Comidas", &["restaurante"]));
    let v2 = save_version(&pool, &ana, v1.prompt_id, &next).await?;
    assert_eq!(v2.version, 2);
    let versions = prompt_versions(&pool, &ana, v1.prompt_id).await?;
    assert_eq!(versions.iter().map(|v| v.version).collect::<Vec<_>>(), [2, 1]);
    assert_eq!(versions[1].categories.len(), 2, "version 1 is unchanged");

    // Unshared: invisible to another analyst; once shared, visible but not editable by them.
    let err = prompt_versions(&pool, &bea, v1.prompt_id).await.err().map(|e| e.code());
    assert_eq!(err, Some(ErrorCode::PromptNotFound));
    assert!(!list_prompts(&pool, &bea).await?.iter().any(|p| p.id == v1.prompt_id));
    let mut share = next.clone();
    share.shared = Some(true);
    save_version(&pool, &ana, v1.prompt_id, &share).await?;
    assert!(list_prompts(&pool, &bea).await?.iter().any(|p| p.id == v1.prompt_id && p.latest_version == 3));
    let err = save_version(&pool, &bea, v1.prompt_id, &next).await.err().map(|e| e.code());
    assert_eq!(err, Some(ErrorCode::PromptNotYours), "a prompt someone else owns is duplicated, not edited");
    let copy = duplicate_prompt(&pool, &bea, v1.prompt_id, None).await?;
    assert_ne!(copy.prompt_id, v1.prompt_id);
    assert_eq!((copy.version, copy.categories.len()), (1, 3));
    assert_eq!(save_version(&pool, &bea, copy.prompt_id, &next).await?.version, 2, "the copy is bea's to edit");

    // Viewers read but do not write.
    assert_eq!(create_prompt(&pool, &vera, &draft("x")).await.err().map(|e| e.code()), Some(ErrorCode::Forbidden));

    // Bad drafts say why.
    let mut bad = draft("Dup");
    bad.categories.push(cat("viajes", &[]));
    let err = create_prompt(&pool, &ana, &bad).await.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(err.contains("appears twice"), "{err}");
    let mut empty = draft("Empty");
    empty.template = "  ".into();
    assert_eq!(create_prompt(&pool, &ana, &empty).await.err().map(|e| e.code()), Some(ErrorCode::InvalidInput));

    // Only an admin moves the default, and runs without a prompt then use its latest version.
    assert_eq!(set_default_prompt(&pool, &ana, v1.prompt_id).await.err().map(|e| e.code()), Some(ErrorCode::Forbidden));
    set_default_prompt(&pool, &root, v1.prompt_id).await?;
    let default = latest_version(&pool, None).await?;
    assert_eq!((default.prompt_id, default.version), (v1.prompt_id, 3));
    let defaults: i64 = sqlx::query_scalar("SELECT count(*) FROM prompts WHERE is_default").fetch_one(&pool).await?;
    assert_eq!(defaults, 1);
    Ok(())
}
