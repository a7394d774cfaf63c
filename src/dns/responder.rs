//! In-process DNS responder on 127.0.0.1 for mail-auth's resolver. (Being written.)
