import ArgumentParser
import CadenceEngine

extension LoadedCampaign {
    /// Loads the campaign, or prints why not (every validation problem) and exits 65.
    static func loadOrExit(_ campaign: String, location: ProjectLocation) throws -> LoadedCampaign {
        do {
            return try LoadedCampaign.load(campaign, location: location)
        } catch .invalid(let report) {
            print(report.text)
            throw ExitCode.dataError
        } catch .notFound(let message) {
            throw ValidationError(message)
        }
    }
}
