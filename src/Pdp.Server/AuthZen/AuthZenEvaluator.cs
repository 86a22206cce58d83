using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Pdp.Audit;
using Pdp.Audit.Format;
using Pdp.Server.Configuration;
using Pdp.Server.Decisions;
using Pdp.Server.Errors;
using Pdp.Server.Identity;
using Pdp.Server.Logging;
using Pdp.Server.Policies;

namespace Pdp.Server.AuthZen;

/// <summary>
/// The Access Evaluation and Access Evaluations APIs over <see cref="DecisionMaker"/>: every evaluation is a
/// real decision, evaluated against the revision being served and durably recorded before it is answered.
/// A batch is checked whole before anything is decided, so a malformed entry refuses the request (400)
/// without leaving half of it on the trail.
/// </summary>
internal sealed class AuthZenEvaluator(DecisionMaker maker, PolicyStore policies, IOptions<PdpOptions> options, ILogger<AuthZenEvaluator> logger)
{
    public const string ExecuteAll = "execute_all";
    public const string DenyOnFirstDeny = "deny_on_first_deny";
    public const string PermitOnFirstPermit = "permit_on_first_permit";

    /// <summary>Decisions of one <c>execute_all</c> batch in progress at once.</summary>
    private const int BatchConcurrency = 8;

    private static readonly string[] Entities = ["subject", "action", "resource", "context"];

    private readonly AuthZenMapper _mapper = new(options.Value.MaxStructDepth);

    private int MaxEvaluations => options.Value.AuthZen.MaxEvaluations;

    /// <summary><c>POST /access/v1/evaluation</c>: one Decision. Failures throw; the endpoint maps them to statuses.</summary>
    public async Task<JsonObject> EvaluateAsync(JsonObject request, CallerIdentity caller, string? requestId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var proposal = _mapper.ToProposal(Top(request, "subject"), Top(request, "action"), Top(request, "resource"), Top(request, "context"), requestId);
        var outcome = await maker.DecideAsync(proposal, caller, RequestDigest.Of(proposal, requestId), cancellationToken).ConfigureAwait(false);
        return AuthZenMapper.ToDecision(outcome);
    }

    /// <summary>
    /// <c>POST /access/v1/evaluations</c>. Without an <c>evaluations</c> array (or with an empty one) the request is a
    /// single evaluation and so is the answer; otherwise the answer is <c>{"evaluations": [...]}</c> in request
    /// order, cut short after the first deny or permit when <c>options.evaluations_semantic</c> asks for it.
    /// </summary>
    public async Task<JsonObject> EvaluateManyAsync(JsonObject request, CallerIdentity caller, string? requestId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var semantic = Semantic(request["options"]);
        if (request["evaluations"] is null || request["evaluations"] is JsonArray { Count: 0 })
        {
            return await EvaluateAsync(request, caller, requestId, cancellationToken).ConfigureAwait(false);
        }

        if (request["evaluations"] is not JsonArray items)
        {
            throw AuthZenRequestException.BadRequest("evaluations", "must be an array");
        }

        if (items.Count > MaxEvaluations)
        {
            throw AuthZenRequestException.BadRequest("evaluations", $"holds {items.Count} evaluations; at most {MaxEvaluations} are accepted in one request (Pdp:AuthZen:MaxEvaluations)");
        }

        // Every entry is checked (and its proposal built) before the first decision is made.
        var proposals = new JsonObject[items.Count];
        for (var i = 0; i < items.Count; i++)
        {
            proposals[i] = Proposal(request, items[i], i, requestId);
        }

        // Nothing can be decided without a policy revision: that is the whole request's error, not each entry's.
        _ = policies.Current ?? throw new NotReadyException();
        var results = new JsonArray();
        if (semantic == ExecuteAll)
        {
            // Independent decisions, a few at a time: their durable records share fsyncs (group commit) when they
            // overlap, and one batch does not take every admission slot (Pdp:Overload) from other callers.
            foreach (var chunk in proposals.Chunk(BatchConcurrency))
            {
                foreach (var decision in await Task.WhenAll(chunk.Select(p => DecideOneAsync(p, caller, requestId, cancellationToken))).ConfigureAwait(false))
                {
                    // As a JsonNode: the generic Add<T> goes through JsonValue.Create<T>, which needs reflection (native AOT).
                    results.Add((JsonNode)decision);
                }
            }
        }
        else
        {
            // In order, stopping after the first decision that answers the question (an error counts as a deny).
            var stopOn = semantic == PermitOnFirstPermit;
            foreach (var proposal in proposals)
            {
                var decision = await DecideOneAsync(proposal, caller, requestId, cancellationToken).ConfigureAwait(false);
                results.Add((JsonNode)decision);
                if (decision["decision"]!.GetValue<bool>() == stopOn)
                {
                    break;
                }
            }
        }

        return new JsonObject { ["evaluations"] = results };
    }

    private JsonObject Proposal(JsonObject request, JsonNode? item, int index, string? requestId)
    {
        var path = $"evaluations[{index}]";
        if (item is not JsonObject evaluation)
        {
            throw AuthZenRequestException.BadRequest(path, "must be an object");
        }

        // A key in the entry replaces the top-level default of the same name (context too: it is not merged).
        var parts = new AuthZenPart[Entities.Length];
        for (var e = 0; e < Entities.Length; e++)
        {
            var key = Entities[e];
            parts[e] = evaluation[key] is { } own ? new AuthZenPart(own, $"{path}.{key}") : Top(request, key);
            if (parts[e].Node is null && key != "context")
            {
                throw AuthZenRequestException.BadRequest($"{path}.{key}", "is required (in the evaluation, or at the top level as the default)");
            }
        }

        return _mapper.ToProposal(parts[0], parts[1], parts[2], parts[3], requestId);
    }

    /// <summary>One entry of a batch: its Decision, or a closed decision carrying the error (the spec's per-evaluation errors).</summary>
    private async Task<JsonObject> DecideOneAsync(JsonObject proposal, CallerIdentity caller, string? requestId, CancellationToken cancellationToken)
    {
        try
        {
            var outcome = await maker.DecideAsync(proposal, caller, RequestDigest.Of(proposal, requestId), cancellationToken).ConfigureAwait(false);
            return AuthZenMapper.ToDecision(outcome);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            var (status, message) = Failure(e, logger, "POST " + AuthZenEndpoints.EvaluationsPath);
            return AuthZenMapper.ToError(status, message);
        }
    }

    /// <summary>The HTTP status and message for a failure after the request was accepted; nothing internal is told.</summary>
    public static (int Status, string Message) Failure(Exception exception, ILogger logger, string method)
    {
        ArgumentNullException.ThrowIfNull(exception);
        switch (exception)
        {
            case AuthZenRequestException e:
                return (e.Status, e.Message);
            case RequestValidationException e:
                return (StatusCodes.Status400BadRequest, e.Message);
            case NotReadyException or OverloadedException:
                // Not ready yet, or admission control is shedding load (Pdp:Overload): retry later.
                ServerLog.CallRefused(logger, method, "503", exception.Message);
                return (StatusCodes.Status503ServiceUnavailable, exception.Message);
            case AuditWriteException:
                // Already logged by the recorder; the decision was neither recorded nor answered.
                return (StatusCodes.Status503ServiceUnavailable, "the audit trail cannot be written; nothing was decided or recorded (failing closed)");
            default:
                ServerLog.UnexpectedFailure(logger, method, exception);
                return (StatusCodes.Status500InternalServerError, "internal error");
        }
    }

    private static string Semantic(JsonNode? node)
    {
        if (node is null)
        {
            return ExecuteAll;
        }

        if (node is not JsonObject evaluationOptions)
        {
            throw AuthZenRequestException.BadRequest("options", "must be an object");
        }

        var semantic = AuthZenJson.OptionalString(evaluationOptions["evaluations_semantic"], "options.evaluations_semantic", 64) ?? ExecuteAll;
        return semantic is ExecuteAll or DenyOnFirstDeny or PermitOnFirstPermit
            ? semantic
            : throw AuthZenRequestException.BadRequest("options.evaluations_semantic", $"must be {ExecuteAll}, {DenyOnFirstDeny} or {PermitOnFirstPermit}");
    }

    private static AuthZenPart Top(JsonObject request, string key) => new(request[key], key);

}
