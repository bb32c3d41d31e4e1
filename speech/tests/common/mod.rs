#[allow(dead_code)]
pub mod spoken;
