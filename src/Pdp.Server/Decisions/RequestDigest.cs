using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Pdp.Audit.Format;
using Pdp.Evaluation.Input;

namespace Pdp.Server.Decisions;

/// <summary>
/// The one meaning of a decision's <c>request_digest</c>, at every front door (gRPC Decide, Envoy's Check,
/// AuthZEN): the lowercase hex SHA-256 of the canonical JSON of the proposal as the door built it from the request,
/// before the server adds its own facts (decision id, time, caller) — present exactly when the request carries a
/// request id (gRPC's <c>request_id</c>, AuthZEN's <c>X-Request-ID</c>, the request id Envoy's Check carries), which is what retries are matched by. The same request through the same door always gives the same
/// digest; the idempotency window refuses a reused id whose digest differs.
/// </summary>
public static class RequestDigest
{
    /// <summary>Empty when the request carried no request id.</summary>
    /// <param name="proposal">The proposal as the door built it, before the server's facts are added.</param>
    /// <param name="requestId">The request's id as the door received it (null or empty: none).</param>
    public static string Of(JsonObject proposal, string? requestId)
    {
        ArgumentNullException.ThrowIfNull(proposal);
        if (string.IsNullOrEmpty(requestId))
        {
            return string.Empty;
        }

        // Completed first (in place, as the decision path would anyway): the digest is over the proposal as recorded.
        return Convert.ToHexStringLower(SHA256.HashData(CanonicalJson.Serialize(InputDefaults.CompleteProposal(proposal))));
    }
}
