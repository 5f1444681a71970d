import Crypto

/// RFC 7636: the S256 `code_challenge` for a `code_verifier`, unpadded base64url of its SHA-256. The client
/// sends it with the consent request; the token endpoint (and the fake) recompute it from the verifier.
public enum PKCE {
    public static func challenge(for verifier: String) -> String {
        Base64.urlEncoded(Array(SHA256.hash(data: Array(verifier.utf8))))
    }
}
