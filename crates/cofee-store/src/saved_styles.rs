//! Styles a person keeps for all their projects.

use async_trait::async_trait;
use uuid::Uuid;

use crate::StoreError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedStyle {
    pub id: Uuid,
    pub owner_id: Uuid,
    pub name: String,
    /// The style's JSON as `cofee_core::Style` writes it.
    pub style: String,
    pub created_at: i64,
    pub updated_at: i64,
}

#[async_trait]
pub trait SavedStyles: Send + Sync {
    /// Saves `style` under `name`, replacing what the owner kept under that name (keeping its
    /// id and creation time).
    async fn save_style(
        &self,
        owner: Uuid,
        name: &str,
        style: &str,
    ) -> Result<SavedStyle, StoreError>;
    /// The owner's styles, by name.
    async fn saved_styles(&self, owner: Uuid) -> Result<Vec<SavedStyle>, StoreError>;
    async fn delete_saved_style(&self, owner: Uuid, id: Uuid) -> Result<(), StoreError>;
}
