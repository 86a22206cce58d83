using Pdp.Contracts.V1;

namespace Pdp.Server.Tests;

/// <summary>
/// What a restart must bring back, made on a first server: a pending review, a settled (rejected) one, and a decision
/// behind a <c>request_id</c> whose retry must get the same answer after the restart.
/// </summary>
internal sealed record RestartScenario(string Pending, string Settled, string Retried, DecideRequest Retry)
{
    public static async Task<RestartScenario> RecordAsync(PdpTestServer server)
    {
        var retry = ReviewPolicies.Request("review.human");
        retry.RequestId = "retry-after-restart";
        var pending = (await server.Client.DecideAsync(ReviewPolicies.Request("review.human")).ResponseAsync.WaitAsync(PdpTestServer.Timeout)).DecisionId;
        var settled = (await server.Client.DecideAsync(ReviewPolicies.Request("review.human")).ResponseAsync.WaitAsync(PdpTestServer.Timeout)).DecisionId;
        var retried = (await server.Client.DecideAsync(retry).ResponseAsync.WaitAsync(PdpTestServer.Timeout)).DecisionId;
        await server.Client.RecordDispositionAsync(new RecordDispositionRequest { DecisionId = settled, Reviewer = "rita", Outcome = Outcome.Rejected, Justification = "no" }).ResponseAsync.WaitAsync(PdpTestServer.Timeout);
        return new RestartScenario(pending, settled, retried, retry);
    }
}
