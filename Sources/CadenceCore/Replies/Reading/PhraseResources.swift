/// The language tables embedded in the module, by file name. A table added to `Phrases/` is listed here too, and
/// `IncomingCorpusTests` fails until it is.
enum PhraseResources {
    static let all: [(String, [UInt8])] = [
        ("en.json", PackageResources.en_json),
        ("cs.json", PackageResources.cs_json),
        ("da.json", PackageResources.da_json),
        ("de.json", PackageResources.de_json),
        ("es.json", PackageResources.es_json),
        ("fi.json", PackageResources.fi_json),
        ("fr.json", PackageResources.fr_json),
        ("it.json", PackageResources.it_json),
        ("ja.json", PackageResources.ja_json),
        ("ko.json", PackageResources.ko_json),
        ("nl.json", PackageResources.nl_json),
        ("no.json", PackageResources.no_json),
        ("pl.json", PackageResources.pl_json),
        ("pt.json", PackageResources.pt_json),
        ("ru.json", PackageResources.ru_json),
        ("sv.json", PackageResources.sv_json),
        ("tr.json", PackageResources.tr_json),
        ("zh.json", PackageResources.zh_json),
    ]
}
