/// MIME types for the attachments people send with outreach; anything else goes as application/octet-stream.
enum ContentTypes {
    static let byExtension: [String: String] = [
        "pdf": "application/pdf", "txt": "text/plain; charset=UTF-8", "md": "text/markdown; charset=UTF-8",
        "csv": "text/csv; charset=UTF-8", "ics": "text/calendar; charset=UTF-8", "html": "text/html; charset=UTF-8",
        "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "gif": "image/gif", "svg": "image/svg+xml",
        "doc": "application/msword",
        "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xls": "application/vnd.ms-excel",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "ppt": "application/vnd.ms-powerpoint",
        "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "zip": "application/zip",
    ]

    static func forFilename(_ name: String) -> String {
        guard let dot = name.lastIndex(of: ".") else { return "application/octet-stream" }
        return byExtension[name[name.index(after: dot)...].lowercased()] ?? "application/octet-stream"
    }
}
