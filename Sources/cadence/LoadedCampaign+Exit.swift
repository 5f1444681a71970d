import ArgumentParser
import CadenceEngine
import Foundation

extension LoadedCampaign {
    /// Loads the campaign, or prints why not (every validation problem) and exits 65.
    /// `toStandardError` keeps stdout clean when it carries messages (`preview --format eml`).
    static func loadOrExit(_ campaign: String, location: ProjectLocation, toStandardError: Bool = false) throws -> LoadedCampaign {
        do {
            return try LoadedCampaign.load(campaign, location: location)
        } catch .invalid(let report) {
            if toStandardError { FileHandle.standardError.write(Data((report.text + "\n").utf8)) } else { print(report.text) }
            throw ExitCode.dataError
        } catch .notFound(let message) {
            throw ValidationError(message)
        }
    }
}
