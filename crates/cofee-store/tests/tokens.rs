//! Personal API tokens in the store (L6): scopes kept as given, and an expired token grants
//! nothing — on both backends, by the store's clock.

mod common;

use cofee_store::accounts::{Accounts, TokenScope};
use common::Fixture;

on_both_backends!(an_api_token_grants_its_scopes_until_it_expires);

async fn an_api_token_grants_its_scopes_until_it_expires(f: Fixture) {
    let store = f.store().await;
    let user = store.create_user("ada@example.com", "hash").await.unwrap();
    let now = f.time.load(std::sync::atomic::Ordering::SeqCst);
    let scopes = [TokenScope::Write, TokenScope::Read, TokenScope::Read];
    let made =
        store.create_api_token(user.id, "ci", "h1", &scopes, Some(now + 60_000)).await.unwrap();
    assert_eq!(made.scopes, [TokenScope::Read, TokenScope::Write], "sorted, once each");
    store.create_api_token(user.id, "forever", "h2", &[TokenScope::Tokens], None).await.unwrap();
    let grant = store.api_token_grant("h1").await.unwrap().expect("valid now");
    assert_eq!(
        (grant.user, grant.scopes, grant.expires_at),
        (user.id, vec![TokenScope::Read, TokenScope::Write], Some(now + 60_000))
    );
    f.advance(60_000);
    assert_eq!(store.api_token_grant("h1").await.unwrap(), None, "expired at its time");
    let forever = store.api_token_grant("h2").await.unwrap().expect("no expiry");
    assert_eq!(forever.scopes, [TokenScope::Tokens]);
    let listed = store.api_tokens(user.id).await.unwrap();
    assert_eq!(listed.len(), 2, "an expired token is still listed, to be deleted");
    assert_eq!(store.api_token_grant("unknown").await.unwrap(), None);
}
