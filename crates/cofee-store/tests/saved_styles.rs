//! Saved styles in the store: one per name and owner (saving a name again replaces it, keeping
//! its id), listed by name, deleted only by their owner, gone with the account — on both backends.

mod common;

use cofee_store::StoreError;
use cofee_store::accounts::Accounts;
use cofee_store::saved_styles::SavedStyles;
use common::Fixture;

on_both_backends!(a_saved_style_is_its_owners_and_one_per_name);

async fn a_saved_style_is_its_owners_and_one_per_name(f: Fixture) {
    let store = f.store().await;
    let ada = store.create_user("ada@example.com", "hash").await.unwrap();
    let bob = store.create_user("bob@example.com", "hash").await.unwrap();
    let first = store.save_style(ada.id, "Loud", r#"{"v":1}"#).await.unwrap();
    store.save_style(ada.id, "Calm", r#"{"v":2}"#).await.unwrap();
    store.save_style(bob.id, "Loud", r#"{"v":3}"#).await.unwrap();
    f.advance(1_000);
    let again = store.save_style(ada.id, "Loud", r#"{"v":4}"#).await.unwrap();
    assert_eq!((again.id, again.created_at), (first.id, first.created_at), "the same style");
    assert_eq!((again.style.as_str(), again.updated_at), (r#"{"v":4}"#, first.updated_at + 1_000));
    let names = |list: Vec<cofee_store::saved_styles::SavedStyle>| {
        list.into_iter().map(|s| (s.name, s.style)).collect::<Vec<_>>()
    };
    assert_eq!(
        names(store.saved_styles(ada.id).await.unwrap()),
        [("Calm".into(), r#"{"v":2}"#.into()), ("Loud".into(), r#"{"v":4}"#.into())]
    );
    assert!(matches!(store.delete_saved_style(bob.id, first.id).await, Err(StoreError::NotFound)));
    store.delete_saved_style(ada.id, first.id).await.unwrap();
    assert_eq!(names(store.saved_styles(ada.id).await.unwrap()).len(), 1);
    store.delete_user(bob.id).await.unwrap();
    assert!(store.saved_styles(bob.id).await.unwrap().is_empty(), "gone with the account");
}
