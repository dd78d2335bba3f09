//! Colours as people write them (`#RRGGBB`, `#RRGGBBAA`, `#RGB`) and as ASS wants them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An sRGB colour with straight alpha (`a = 255` is opaque).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Color {
    pub r: u8,
    pub g: u8,
    pub b: u8,
    pub a: u8,
}

impl Color {
    pub const fn rgb(r: u8, g: u8, b: u8) -> Self {
        Self { r, g, b, a: 255 }
    }

    pub const fn rgba(r: u8, g: u8, b: u8, a: u8) -> Self {
        Self { r, g, b, a }
    }

    /// `&HAABBGGRR` as an ASS style field (ASS alpha is transparency: 00 is opaque).
    pub fn ass(&self) -> String {
        format!("&H{:02X}{:02X}{:02X}{:02X}", 255 - self.a, self.b, self.g, self.r)
    }

    /// `&HBBGGRR&` for an inline `\c` override.
    pub fn ass_inline(&self) -> String {
        format!("&H{:02X}{:02X}{:02X}&", self.b, self.g, self.r)
    }

    /// `&HAA&` for an inline `\alpha` override.
    pub fn ass_alpha(&self) -> String {
        format!("&H{:02X}&", 255 - self.a)
    }
}

impl fmt::Display for Color {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{:02X}{:02X}{:02X}", self.r, self.g, self.b)?;
        if self.a != 255 {
            write!(f, "{:02X}", self.a)?;
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("invalid colour {0:?}: use #RRGGBB or #RRGGBBAA (hex; AA is opacity, FF opaque)")]
pub struct ColorError(pub String);

impl FromStr for Color {
    type Err = ColorError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || ColorError(s.to_string());
        let hex = s.trim().strip_prefix('#').ok_or_else(err)?;
        if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(err());
        }
        let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).map_err(|_| err());
        let nibble =
            |i: usize| u8::from_str_radix(&hex[i..=i], 16).map(|v| v * 17).map_err(|_| err());
        match hex.len() {
            3 => Ok(Color::rgb(nibble(0)?, nibble(1)?, nibble(2)?)),
            6 => Ok(Color::rgb(byte(0)?, byte(2)?, byte(4)?)),
            8 => Ok(Color::rgba(byte(0)?, byte(2)?, byte(4)?, byte(6)?)),
            _ => Err(err()),
        }
    }
}

impl Serialize for Color {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Color {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints() {
        assert_eq!("#FF8000".parse(), Ok(Color::rgb(255, 128, 0)));
        assert_eq!("#f80".parse(), Ok(Color::rgb(255, 136, 0)));
        assert_eq!("#00000080".parse(), Ok(Color::rgba(0, 0, 0, 128)));
        assert_eq!(Color::rgba(0, 0, 0, 128).to_string(), "#00000080");
        assert_eq!(Color::rgb(1, 2, 3).to_string(), "#010203");
        assert!("red".parse::<Color>().is_err());
        assert!("#12345".parse::<Color>().is_err());
        assert!("#ééé".parse::<Color>().is_err());
    }

    #[test]
    fn ass_byte_order_and_alpha() {
        let c = Color::rgba(0x11, 0x22, 0x33, 0xFF);
        assert_eq!(c.ass(), "&H00332211");
        assert_eq!(c.ass_inline(), "&H332211&");
        assert_eq!(Color::rgba(0, 0, 0, 0x80).ass(), "&H7F000000");
    }
}
