//! Closed string vocabularies: one declaration gives an enum its wire names (database, API, CLI),
//! parsing that lists the valid values on error, and `ALL` in display order.

/// Declares a closed string enum with its wire names, parsing that lists the valid values on
/// error, and `ALL` in display order. Every vocabulary type (alert severity, status, type, a
/// book's health and a run's status …) shares this behaviour.
///
/// Serde uses the snake-case variant name, so keep it equal to the wire name.
macro_rules! wire_enum {
    ($(#[$meta:meta])* $name:ident, $what:literal { $($(#[$vmeta:meta])* $variant:ident = $wire:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
            ::serde::Serialize, ::serde::Deserialize, utoipa::ToSchema,
        )]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            /// Every value, in display order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The name used in the database, the API and the CLI.
            pub const fn as_str(self) -> &'static str {
                match self { $($name::$variant => $wire),+ }
            }

            /// The valid wire names, comma separated, for error messages.
            pub fn valid_values() -> String {
                Self::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", ")
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s.trim().to_ascii_lowercase().as_str() {
                    $($wire => Ok($name::$variant),)+
                    other => Err(format!(
                        "unknown {} {other:?}; valid values: {}", $what, Self::valid_values()
                    )),
                }
            }
        }
    };
}

pub(crate) use wire_enum;
