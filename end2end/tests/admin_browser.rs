//! The administration screens in a real browser: create an account with the form, give it a role
//! until a date, issue an enrolment link, create a custom role, and find all of it in the audit log.

mod common;

use common::launch;
use end2end::TestServer;
use playwright_rs::expect;
use serde_json::Value;

const PASSWORD: &str = "a long enough secret";

#[tokio::test]
async fn an_admin_manages_users_roles_and_reads_the_audit_log() -> anyhow::Result<()> {
    let server = TestServer::start(&[]).await?;
    server.create_user("root", "admin", PASSWORD)?;
    let (_pw, _browser, page) = launch().await?;
    page.on_dialog(|d| async move { d.accept(None).await }).await?;
    page.goto(&server.url("/login"), None).await?;
    page.locator("body[data-hydrated=true]").wait_for(None).await?;
    page.locator("input[name=username]").fill("root", None).await?;
    page.locator("input[name=password]").fill(PASSWORD, None).await?;
    page.locator("form button[type=submit]").click(None).await?;
    page.wait_for_url("**/datasets", None).await?;

    // A new account, created with the form.
    page.goto(&server.url("/admin/users"), None).await?;
    page.locator("body[data-hydrated=true]").wait_for(None).await?;
    page.locator("[data-testid=new-username]").fill("vera", None).await?;
    page.locator("[data-testid=new-role]").select_option("viewer", None).await?;
    page.locator("input[name=password]").fill("vera's own long secret", None).await?;
    page.locator("[data-testid=create-user]").click(None).await?;
    let vera = page.locator("tr[data-user=vera]");
    expect(page.locator("tr[data-user=vera] .chip").first()).to_contain_text("viewer").await?;

    // Give her "analyst" until the end of next year, then an enrolment link.
    vera.locator("summary").click(None).await?;
    vera.locator("[data-testid=assign-role]").select_option("analyst", None).await?;
    let until = format!("{}-12-31", chrono::Utc::now().format("%Y").to_string().parse::<i32>().unwrap_or(2026) + 1);
    vera.locator("input[type=date]").fill(&until, None).await?;
    vera.locator("form button[type=submit]").first().click(None).await?;
    // The role shows as a chip once the list has reloaded (the open form closes with it).
    expect(page.locator("tr[data-user=vera] .chip:has-text('analyst')")).to_be_visible().await?;
    // Open the row's "Manage" whether the reload left it open or closed.
    page.locator("tr[data-user=vera] details").evaluate::<(), ()>("d => { d.open = true; }", None).await?;
    page.locator("tr[data-user=vera] [data-testid=enrolment-link]").click(None).await?;
    expect(page.locator("[data-testid=new-enrolment-link]")).to_contain_text("/enrol/enr_").await?;

    let db = server.db().await?;
    let expiry: Option<chrono::DateTime<chrono::Utc>> = sqlx::query_scalar(
        "SELECT a.expires_at FROM role_assignments a JOIN users u ON u.id = a.user_id WHERE u.username = 'vera' AND a.role = 'analyst'",
    )
    .fetch_one(&db)
    .await?;
    assert_eq!(expiry.map(|e| e.format("%Y-%m-%d").to_string()), Some(until.clone()), "until the end of the chosen day");

    // A custom role with one permission.
    page.goto(&server.url("/admin/roles"), None).await?;
    page.locator("body[data-hydrated=true]").wait_for(None).await?;
    let form = page.locator("[data-testid=new-role-form]");
    form.locator("[data-testid=role-name]").fill("auditor", None).await?;
    form.locator("label:has-text('audit:read') input").check(None).await?;
    form.locator("button[type=submit]").click(None).await?;
    expect(page.locator("[data-role=auditor]")).to_contain_text("auditor").await?;
    let perms: Vec<String> = sqlx::query_scalar("SELECT permission FROM role_permissions WHERE role = 'auditor' ORDER BY permission").fetch_all(&db).await?;
    assert_eq!(perms, ["audit:read", "dataset:read"]);

    // All of it is in the audit log, with what was asked.
    page.goto(&server.url("/admin/audit"), None).await?;
    page.locator("body[data-hydrated=true]").wait_for(None).await?;
    let filters = page.locator("[data-testid=audit-filters]");
    filters.locator("input[type=search]").nth(1).fill("admin_", None).await?;
    filters.locator("button[type=submit]").click(None).await?;
    let rows = page.locator("[data-testid=audit] tbody");
    // Actions read as people say them (the page is in Spanish), not as the server function's path.
    expect(rows.clone()).to_contain_text("creó un usuario").await?;
    expect(rows.clone()).not().to_contain_text("admin_create_user").await?;
    expect(rows.clone()).to_contain_text("asignó un rol").await?;
    expect(rows.clone()).to_contain_text("guardó un rol").await?;
    expect(rows.clone()).to_contain_text("\"role\":\"analyst\"").await?;
    let created: Value = sqlx::query_scalar("SELECT details FROM audit_log WHERE action LIKE '%admin_create_user%'").fetch_one(&db).await?;
    assert_eq!(created["args"]["password"], "***", "{created}");
    assert_eq!(created["args"]["username"], "vera", "{created}");
    common::assert_no_console_errors();
    Ok(())
}
