//! Live DNS through hickory-resolver. (Being written.)
