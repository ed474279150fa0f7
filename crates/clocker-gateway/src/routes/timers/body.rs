//! The body of `POST /api/timers` as REST takes it ([`SetTimerJson`], the
//! fleet's one shape): its schema, written by hand because JSON Schema
//! needs an `anyOf` to say "at least one second", and the field checks
//! that keep the gateway's answers to the schema.

use clocker_wire::{MAX_TOTAL_SECONDS, SetTimerJson};
use utoipa::openapi::schema::{
    AdditionalProperties, AllOfBuilder, AnyOfBuilder, ObjectBuilder, Schema, SchemaFormat, Type,
};
use utoipa::openapi::{KnownFormat, RefOr};
use utoipa::{PartialSchema, ToSchema};

use crate::routes::body::{BodyFields, Field};

/// The longest label the document declares, in characters. The timer
/// service keeps 200 bytes of UTF-8 (and says so when refusing); JSON
/// Schema counts characters, 1 to 4 bytes each, so 50 is the most that
/// always fits. A longer label within the 200 bytes is taken.
const LABEL_MAX_CHARS: usize = 50;

/// A label is one line of text: no control character (Unicode's Cc, what
/// the timer service refuses).
const LABEL_PATTERN: &str = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$";

/// The longest idempotency key: 128 printable ASCII characters (so bytes
/// and characters agree).
const IDEMPOTENCY_KEY_MAX: usize = 128;

/// Each duration field's largest value: the whole 366 days in that unit.
const DURATION_FIELDS: [(&str, i64); 3] = [
    ("hours", MAX_TOTAL_SECONDS / 3600),
    ("minutes", MAX_TOTAL_SECONDS / 60),
    ("seconds", MAX_TOTAL_SECONDS),
];

/// Whether `key` has the form the document declares for an idempotency key
/// (empty: none): printable ASCII, at most [`IDEMPOTENCY_KEY_MAX`].
pub fn is_idempotency_key(key: &str) -> bool {
    key.len() <= IDEMPOTENCY_KEY_MAX && key.bytes().all(|byte| matches!(byte, b'!'..=b'~'))
}

/// What `POST /api/timers` takes, for the document ([`SetTimerJson`] is
/// what the handler reads).
pub struct SetTimerBody;

impl PartialSchema for SetTimerBody {
    fn schema() -> RefOr<Schema> {
        let mut object = ObjectBuilder::new()
            .schema_type(Type::Object)
            .description(Some(
                "A timer to set. Each of hours, minutes and seconds is 0 when left out; \
                 together they must make at least 1 second and at most 366 days \
                 (31622400 seconds; a larger sum is 400). Fields need not be normalised: \
                 90 seconds is fine.",
            ))
            .additional_properties(Some(AdditionalProperties::FreeForm(false)));
        for (name, max) in DURATION_FIELDS {
            object = object.property(
                name,
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
                    .minimum(Some(0))
                    .maximum(Some(max))
                    .default(Some(0.into())),
            );
        }
        let text = |max: usize, description: &str| {
            ObjectBuilder::new()
                .schema_type(Type::String)
                .max_length(Some(max))
                .description(Some(description))
        };
        let object = object
            .property(
                "label",
                text(
                    LABEL_MAX_CHARS,
                    "Shown with the timer: one line of text (no control characters), at \
                     most 200 bytes of UTF-8, which 50 characters always are (a longer label \
                     within the 200 bytes is taken too)",
                )
                .pattern(Some(LABEL_PATTERN))
                .examples(["Tea"]),
            )
            .property(
                "token",
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .description(Some(
                        "A session token, as from POST /api/sessions (the Authorization: Bearer \
                     header does the same); one that is not a live session is 401",
                    )),
            )
            .property(
                "idempotency_key",
                text(
                    IDEMPOTENCY_KEY_MAX,
                    "1 to 128 printable ASCII characters (empty for none); the \
                     Idempotency-Key header wins over it",
                )
                .pattern(Some("^[!-~]*$")),
            );
        // At least one of the three is 1 or more: the total is at least 1 second.
        let mut at_least_one_second = AnyOfBuilder::new();
        for (name, _) in DURATION_FIELDS {
            at_least_one_second = at_least_one_second.item(
                ObjectBuilder::new().required(name).property(
                    name,
                    ObjectBuilder::new()
                        .schema_type(Type::Integer)
                        .minimum(Some(1)),
                ),
            );
        }
        AllOfBuilder::new()
            .item(object)
            .item(at_least_one_second)
            .into()
    }
}

impl ToSchema for SetTimerBody {}

impl BodyFields for SetTimerJson {
    const FIELDS: &'static [Field] = &[
        Field::Count {
            name: DURATION_FIELDS[0].0,
            max: DURATION_FIELDS[0].1,
        },
        Field::Count {
            name: DURATION_FIELDS[1].0,
            max: DURATION_FIELDS[1].1,
        },
        Field::Count {
            name: DURATION_FIELDS[2].0,
            max: DURATION_FIELDS[2].1,
        },
        Field::Text {
            name: "label",
            required: false,
        },
        Field::Text {
            name: "token",
            required: false,
        },
        Field::Text {
            name: "idempotency_key",
            required: false,
        },
    ];
}
