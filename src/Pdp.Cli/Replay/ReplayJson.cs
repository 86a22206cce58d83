using System.Text.Json.Nodes;
using Pdp.Evaluation.Results;

namespace Pdp.Cli.Replay;

/// <summary>
/// The report as the one JSON object <c>pdp replay --json</c> prints: the same figures as the table, and every
/// changed decision (the table stops at <c>--limit</c>). Matrices are <c>transitions[recorded][candidate]</c>.
/// </summary>
internal static class ReplayJson
{
    public static JsonObject From(ReplayReport report, ReplaySource source)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(source);
        var revisions = new JsonObject();
        foreach (var (revision, count) in report.RecordedRevisions)
        {
            revisions[revision] = count;
        }

        var byPolicy = new JsonObject();
        foreach (var (policy, matrix) in report.ByPolicy)
        {
            byPolicy[policy] = new JsonObject
            {
                ["replayed"] = matrix.Total,
                ["unchanged"] = matrix.Unchanged,
                ["changed"] = matrix.Changed,
                ["transitions"] = Matrix(matrix),
            };
        }

        var human = new JsonObject();
        foreach (var outcome in HumanOutcomeText.All)
        {
            human[outcome.ToText()] = report.CountOf(outcome);
        }

        return new JsonObject
        {
            ["trail"] = new JsonObject
            {
                ["path"] = source.TrailPath,
                ["records"] = source.Records,
                ["files"] = source.Files,
                ["last_hash"] = source.LastHash,
            },
            ["candidate"] = new JsonObject
            {
                ["directory"] = source.PolicyDirectory,
                ["revision"] = report.CandidateRevision,
            },
            ["recorded_revisions"] = revisions,
            ["decisions"] = new JsonObject
            {
                ["replayed"] = report.Overall.Total,
                ["unchanged"] = report.Overall.Unchanged,
                ["changed"] = report.Overall.Changed,
            },
            ["transitions"] = Matrix(report.Overall),
            ["by_policy_basis"] = ReplayDefinitions.ByPolicy,
            ["by_policy"] = byPolicy,
            ["human_outcomes"] = human,
            ["overrides"] = new JsonObject
            {
                ["overridden"] = report.Overridden,
                ["prevented"] = report.OverridesPrevented,
                ["caused"] = new JsonObject
                {
                    ["approved_now_denied"] = report.ApprovedNowDenied,
                    ["rejected_now_allowed"] = report.RejectedNowAllowed,
                    ["total"] = report.OverridesCaused,
                },
            },
            ["reviews"] = new JsonObject
            {
                ["added"] = report.ReviewsAdded,
                ["removed"] = report.ReviewsRemoved,
            },
            ["candidate_policy_errors"] = report.CandidateErrors,
            ["unmatched_human_records"] = report.UnmatchedHumanRecords,
            ["changed_decisions"] = new JsonArray([.. report.ChangedDecisions.Select(Changed)]),
        };
    }

    private static JsonObject Matrix(TransitionMatrix matrix)
    {
        var rows = new JsonObject();
        foreach (var recorded in TransitionMatrix.Verdicts)
        {
            var row = new JsonObject();
            foreach (var candidate in TransitionMatrix.Verdicts)
            {
                row[candidate.ToText()] = matrix[recorded, candidate];
            }

            rows[recorded.ToText()] = row;
        }

        return rows;
    }

    private static JsonNode Changed(ReplayedDecision decision) => new JsonObject
    {
        ["decision_id"] = decision.DecisionId,
        ["seq"] = decision.Seq,
        ["decided_at"] = decision.DecidedAt,
        ["action_type"] = decision.ActionType,
        ["recorded"] = decision.Recorded.ToText(),
        ["candidate"] = decision.Candidate.ToText(),
        ["human_outcome"] = decision.Human.ToText(),
        ["recorded_policy"] = decision.RecordedPolicy,
        ["candidate_policy"] = decision.CandidatePolicy,
        ["reason"] = decision.CandidateReason,
        ["candidate_error"] = decision.CandidateError,
        ["effects"] = new JsonArray([.. decision.Effects().Select(e => (JsonNode)e)]),
    };
}
