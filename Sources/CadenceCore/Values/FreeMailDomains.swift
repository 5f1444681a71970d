/// Consumer mail domains, where many unrelated people share a domain: per-domain caps and "colleague" rules skip
/// them.
public enum FreeMailDomains {
    public static let all: Set<String> = [
        "gmail.com", "googlemail.com", "yahoo.com", "yahoo.co.uk", "ymail.com", "outlook.com", "hotmail.com", "hotmail.co.uk",
        "live.com", "msn.com", "icloud.com", "me.com", "mac.com", "aol.com", "proton.me", "protonmail.com", "gmx.com", "gmx.de",
        "gmx.net", "web.de", "mail.com", "yandex.com", "yandex.ru", "zoho.com", "fastmail.com", "hey.com", "qq.com", "163.com",
    ]

    public static func contains(_ domain: String) -> Bool { all.contains(domain.lowercased()) }
}
