//! CI's load check (issue 20): the seed's scenario and our other hot paths with 40 users for 35 s
//! against the real server. It asserts the error rate only; latency is the full run's business.

#[tokio::test(flavor = "multi_thread")]
async fn forty_users_for_half_a_minute_get_no_errors() -> anyhow::Result<()> {
    let s = loadtest::modes::short().await?;
    println!("{}\n{}", s.table(), s.verdict());
    assert!(s.requests() > 500, "the users did work: {} requests", s.requests());
    for name in [loadtest::users::LIST, loadtest::users::GET_ROW, loadtest::users::CREATE, loadtest::users::QUERY, loadtest::users::REPORT, loadtest::users::STREAM, loadtest::users::UPLOAD] {
        assert!(s.endpoints.iter().any(|e| e.name == name && e.requests > 0), "{name} was exercised");
    }
    assert_eq!(s.errors(), 0, "no request failed:\n{}", s.table());
    Ok(())
}
