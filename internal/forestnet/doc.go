// Package forestnet carries the trees of a random forest grown by several
// processes to rank 0, which merges them (tree i belongs to rank i mod
// WORLD_SIZE, as ml.Shard has it).
//
// Each rank other than 0 dials rank 0 once, before it trains, so that rank
// 0 sees it die (the connection closes) while it trains. The exchange:
//
//	rank 0 → rank r   hello   magic "frogbridge-forestnet/1", 32-byte nonce N0
//	rank r → rank 0   auth    rank, world size, 32-byte nonce Nr, fingerprint,
//	                          HMAC(key, "auth"‖N0‖Nr‖rank‖world‖fingerprint)
//	rank 0 → rank r   ok      HMAC(key, "ok"‖N0‖Nr‖rank)
//	rank r → rank 0   tree*   index, tree bytes (ml.Tree.MarshalBinary), in index order
//	rank r → rank 0   done    tree count   — or error: the rank's failure, as text
//	rank 0 → rank r   result  ok, or why rank 0 refused the trees
//
// A frame is type (1 byte) ‖ length (4 bytes, big-endian) ‖ payload; after
// ok every frame also ends in HMAC(session, sequence‖type‖payload) with
// session = HMAC(key, "session"‖N0‖Nr‖rank), so a frame cannot be changed,
// dropped, reordered or replayed from another connection. The key never
// crosses the wire, and the fresh nonces make a recorded exchange useless.
// Every frame is bounded (Options.MaxTreeBytes), the handshake by
// HandshakeTimeout and the whole exchange by the caller's context.
//
// The fingerprint (data set sha256 and hyperparameters) makes a rank that
// read other data or flags fail the job instead of blending two forests.
package forestnet
