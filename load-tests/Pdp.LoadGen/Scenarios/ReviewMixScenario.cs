using Google.Protobuf.WellKnownTypes;
using Pdp.Contracts.V1;
using Pdp.LoadGen.Corpus;
using Pdp.LoadGen.Running;

namespace Pdp.LoadGen.Scenarios;

/// <summary>
/// The review-heavy mix: a Decide from <see cref="ReviewMix"/>, then what reviewers do with it. A require-human
/// decision is settled by members of the decision's <c>review.approver_group</c> (from <c>data/groups.json</c>),
/// never the agent nor its <c>on_behalf_of</c> principal: 75% approved (by <c>min_approvals</c> distinct
/// reviewers), 15% rejected, 10% modified (single-approval reviews; four-eyes ones are rejected instead). 30% of
/// allowed decisions are reversed by a member of the deciding policy's declared approver group. A refused disposition is
/// an error: the mix only sends what the rules accept.
/// </summary>
internal sealed class ReviewMixScenario(ScenarioEnvironment environment) : ILoadScenario
{
    public const string ScenarioName = "review";
    public const string About = "Decide on review-prone actions, then dispositions by eligible reviewers (approve, reject, modify, reverse)";

    private readonly DecisionService.DecisionServiceClient _client = new(environment.Channel);
    private readonly ReviewMix _mix = new(environment.Data);
    private readonly int _seed = environment.Options.Seed;
    private readonly TimeSpan _timeout = environment.Options.CallTimeout;
    private readonly OperationStats _decide = new("Decide");
    private readonly OperationStats _dispose = new("RecordDisposition");

    public string Name => ScenarioName;

    public string UnitName => "review flow";

    public string Description => About;

    public IReadOnlyList<OperationStats> SubOperations => [_decide, _dispose];

    public async Task RunUnitAsync(long index, CancellationToken cancellationToken)
    {
        var rng = UnitRandom.For(_seed, index, salt: 7);
        var request = _mix.Next(rng);
        var decision = await _decide.TimeAsync(() => _client.DecideAsync(request, deadline: Deadline(), cancellationToken: cancellationToken).ResponseAsync).ConfigureAwait(false);
        if (decision.Verdict == Verdict.RequireHuman)
        {
            var approvals = Math.Max(1, decision.Review.MinApprovals);
            var draw = rng.NextDouble();
            if (draw < 0.75)
            {
                foreach (var reviewer in _mix.Reviewers(decision.Review.ApproverGroup, request, approvals, rng))
                {
                    await DisposeAsync(decision.DecisionId, reviewer, Outcome.Approved, string.Empty, null, cancellationToken).ConfigureAwait(false);
                }
            }
            else if (draw < 0.9 || approvals > 1)
            {
                var reviewer = _mix.Reviewers(decision.Review.ApproverGroup, request, 1, rng);
                if (reviewer.Count == 1)
                {
                    await DisposeAsync(decision.DecisionId, reviewer[0], Outcome.Rejected, "not justified by the evidence in the ticket", null, cancellationToken).ConfigureAwait(false);
                }
            }
            else
            {
                var reviewer = _mix.Reviewers(decision.Review.ApproverGroup, request, 1, rng);
                if (reviewer.Count == 1)
                {
                    var parameters = request.Action.Parameters?.Clone() ?? new Struct();
                    parameters.Fields["reviewed_scope"] = Value.ForString("narrowed by reviewer");
                    await DisposeAsync(decision.DecisionId, reviewer[0], Outcome.Modified, "narrowed to the affected scope", parameters, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        else if (decision.Verdict == Verdict.Allow && rng.NextDouble() < 0.3
            && decision.Reasons.Count > 0 && environment.Data.PolicyGroups.TryGetValue(decision.Reasons[0].PolicyId, out var group))
        {
            var reviewer = _mix.Reviewers(group, request, 1, rng);
            if (reviewer.Count == 1)
            {
                await DisposeAsync(decision.DecisionId, reviewer[0], Outcome.Reversed, "containment was not needed after all", null, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private Task<RecordDispositionResponse> DisposeAsync(string decisionId, string reviewer, Outcome outcome, string justification, Struct? parameters, CancellationToken cancellationToken)
    {
        var request = new RecordDispositionRequest { DecisionId = decisionId, Reviewer = reviewer, Outcome = outcome, Justification = justification, Parameters = parameters };
        return _dispose.TimeAsync(() => _client.RecordDispositionAsync(request, deadline: Deadline(), cancellationToken: cancellationToken).ResponseAsync);
    }

    private DateTime Deadline() => DateTime.UtcNow + _timeout;
}
