//! The schema editor and the grid's links in a real browser (Debian's Chromium): an admin changes a
//! text column to whole numbers — refused while a value is no number, naming it; fixed in the grid,
//! then taken — adds a foreign key from the form, follows a Reference cell to the row it points at,
//! opens a hierarchical table's tree down to a grandchild, and saves a shared view another user
//! then finds under their own sign-in. Screenshots at desktop and phone widths, in both languages.

mod common;

use common::{launch, post_json as post, shot, sign_in};
use end2end::TestServer;
use playwright_rs::expect;
use serde_json::{Value, json};

const PASSWORD: &str = "a long enough secret";



async fn column(api: &reqwest::Client, server: &TestServer, table: &Value, name: &str, extra: Value) -> anyhow::Result<()> {
    let mut def = json!({ "column_name": name });
    if let (Some(d), Some(e)) = (def.as_object_mut(), extra.as_object()) {
        d.extend(e.clone());
    }
    let c = post(api, server, "/metadata/columns", def).await?;
    post(api, server, "/metadata/properties", json!({ "logical_table_id": table["id"], "column_definition_id": c["id"], "display_order": 1 })).await?;
    Ok(())
}

#[tokio::test]
async fn an_admin_retypes_a_column_links_tables_and_walks_a_tree() -> anyhow::Result<()> {
    let server = TestServer::start(&[]).await?;
    server.create_user("root", "admin", PASSWORD)?;
    server.create_user("vera", "viewer", PASSWORD)?;
    let api = server.client("root", PASSWORD).await?;

    // A chart of accounts three levels deep, and items that point at its accounts.
    let accounts = post(&api, &server, "/metadata/tables", json!({ "table_name": "CUENTAS", "is_hierarchical": true })).await?;
    let top = post(&api, &server, "/data/CUENTAS", json!({ "code": "6", "display_value": "Gastos" })).await?;
    let mid = post(&api, &server, "/data/CUENTAS", json!({ "code": "62", "display_value": "Servicios exteriores", "parent_row_id": top["id"] })).await?;
    post(&api, &server, "/data/CUENTAS", json!({ "code": "629", "display_value": "Otros servicios", "parent_row_id": mid["id"] })).await?;
    let items = post(&api, &server, "/metadata/tables", json!({ "table_name": "PARTIDAS" })).await?;
    column(&api, &server, &items, "cantidad", json!({ "data_type": "String" })).await?;
    column(&api, &server, &items, "cuenta", json!({ "data_type": "Reference", "reference_table_id": accounts["id"] })).await?;
    post(&api, &server, "/data/PARTIDAS", json!({ "code": "A-1", "column_values": { "cantidad": "12", "cuenta": mid["id"] } })).await?;
    post(&api, &server, "/data/PARTIDAS", json!({ "code": "A-2", "column_values": { "cantidad": "n/a" } })).await?;

    let (_pw, _browser, page) = launch().await?;
    sign_in(&page, &server, "root", PASSWORD).await?;
    page.goto(&server.url("/tables/PARTIDAS/schema"), None).await?;
    page.locator("body[data-hydrated=true]").wait_for(None).await?;

    // cantidad: String → Int is refused while "n/a" is there, naming A-2.
    let row = page.locator("[data-testid=column-row]:has-text('cantidad')");
    row.locator("[data-testid=column-edit]").click(None).await?;
    page.locator("[data-testid=edit-type]").select_option("Int", None).await?;
    page.locator("[data-testid=edit-column-submit]").click(None).await?;
    let refusal = page.locator("[data-testid=rows-violate]");
    expect(refusal.clone()).to_contain_text("A-2").await?;
    expect(refusal.clone()).to_contain_text("n/a").await?;
    shot(&page, "schema-retype-refused-desktop-es").await?;

    // Fixed in the grid (the REST API here), the change goes through and the type shows Int.
    let a2: Value = api.get(server.url("/api/v1/data/PARTIDAS?pageSize=10")).send().await?.json().await?;
    let a2 = a2["rows"].as_array().and_then(|rows| rows.iter().find(|r| r["code"] == "A-2")).cloned().unwrap_or(Value::Null);
    let fixed = api
        .patch(server.url(&format!("/api/v1/data/PARTIDAS/{}", a2["id"].as_str().unwrap_or_default())))
        .json(&json!({ "version": a2["version"], "column_values": { "cantidad": "3" } }))
        .send()
        .await?;
    assert_eq!(fixed.status(), 200, "{}", fixed.text().await?);
    page.locator("[data-testid=edit-column-submit]").click(None).await?;
    expect(row.clone()).to_contain_text("Int").await?;

    // A foreign key from the form, on the Reference column.
    page.locator("[data-testid=kind-foreign-key]").check(None).await?;
    page.locator("[data-testid=constraint-name]").fill("partida_cuenta", None).await?;
    page.locator("[data-testid=fk-on-delete]").select_option("SET NULL", None).await?;
    page.locator("[data-testid=add-constraint-submit]").click(None).await?;
    expect(page.locator("[data-testid=constraint-row]").first()).to_contain_text("ON DELETE SET NULL").await?;
    shot(&page, "schema-edited-desktop-es").await?;

    // The grid shows the account's code as a link; following it opens that one account.
    page.goto(&server.url("/tables/PARTIDAS"), None).await?;
    page.locator("body[data-hydrated=true]").wait_for(None).await?;
    let link = page.locator("[data-testid=ref-link]");
    expect(link.clone()).to_have_text("62").await?;
    link.click(None).await?;
    page.wait_for_url("**/tables/CUENTAS?row=*", None).await?;
    page.locator("body[data-hydrated=true]").wait_for(None).await?;

    expect(page.locator("[data-testid=rows-total]")).to_have_text("1").await?;
    expect(page.locator("[data-testid=grid-row]").first()).to_contain_text("Servicios exteriores").await?;

    // The tree: 6 → 62 → 629, opened level by level; choosing a node shows that row.
    page.locator("[data-testid=tree-toggle]").click(None).await?;
    let root = page.locator("[data-testid=tree-node]").first();
    expect(root.clone()).to_contain_text("6 · Gastos").await?;
    root.locator("[data-testid=tree-expand]").first().click(None).await?;
    let child = root.locator("[data-testid=tree-node]").first();
    expect(child.clone()).to_contain_text("62").await?;
    child.locator("[data-testid=tree-expand]").first().click(None).await?;
    let grandchild = child.locator("[data-testid=tree-node]").first();
    expect(grandchild.clone()).to_contain_text("629 · Otros servicios").await?;
    grandchild.locator("[data-testid=tree-label]").click(None).await?;
    expect(page.locator("[data-testid=grid-row]").first()).to_contain_text("629").await?;
    shot(&page, "tree-desktop-es").await?;

    // A view saved as shared: another reader finds it, under their own sign-in, and may not remove it.
    page.locator("[data-testid=grid-search]").fill("Otros", None).await?;
    page.locator("[data-testid=grid-search]").press("Enter", None).await?;
    expect(page.locator("[data-testid=rows-total]")).to_have_text("1").await?;
    page.locator("[data-testid=view-name]").fill("otros", None).await?;
    page.locator("[data-testid=view-shared]").check(None).await?;
    page.locator("[data-testid=save-view]").click(None).await?;
    expect(page.locator("[data-testid=saved-views] option")).to_have_count(2).await?;

    let (_pw2, _browser2, other) = launch().await?;
    sign_in(&other, &server, "vera", PASSWORD).await?;
    other.goto(&server.url("/tables/CUENTAS"), None).await?;
    other.locator("body[data-hydrated=true]").wait_for(None).await?;
    expect(other.locator("[data-testid=rows-total]")).to_have_text("3").await?;
    expect(other.locator("[data-testid=saved-views] option").nth(1)).to_have_text("otros — root").await?;
    other.locator("[data-testid=saved-views]").select_option("root\u{1f}otros", None).await?;
    expect(other.locator("[data-testid=rows-total]")).to_have_text("1").await?;
    expect(other.locator("[data-testid=delete-view]")).to_have_count(0).await?;

    // Phone width and English.
    page.set_viewport_size(playwright_rs::protocol::Viewport { width: 390, height: 844 }).await?;
    page.goto(&server.url("/tables/PARTIDAS/schema"), None).await?;
    page.locator("body[data-hydrated=true]").wait_for(None).await?;
    page.locator("select.locale").select_option("en", None).await?;
    expect(page.locator("h2").first()).to_have_text("Columns").await?;
    shot(&page, "schema-edited-phone-en").await?;
    page.goto(&server.url("/tables/CUENTAS"), None).await?;
    page.locator("body[data-hydrated=true]").wait_for(None).await?;
    page.locator("[data-testid=tree-toggle]").click(None).await?;
    expect(page.locator("[data-testid=tree-node]").first()).to_be_visible().await?;
    expect(page.locator("[data-testid=tree-toggle]")).to_contain_text("Hierarchy").await?;
    shot(&page, "tree-phone-en").await?;
    Ok(())
}
