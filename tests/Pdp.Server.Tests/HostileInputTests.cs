using FsCheck;
using FsCheck.Fluent;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Pdp.Audit;
using Pdp.Contracts.V1;
using Xunit;
using Outcome = Pdp.Contracts.V1.Outcome;

namespace Pdp.Server.Tests;

/// <summary>
/// Random and malformed input against the real server: every call ends with a clear status (never
/// UNKNOWN or INTERNAL), the server stays up and serving, memory stays bounded, and nothing malformed
/// reaches the trail.
/// </summary>
public sealed class HostileInputTests : IAsyncLifetime
{
    private static readonly StatusCode[] Clear =
        [StatusCode.OK, StatusCode.InvalidArgument, StatusCode.NotFound, StatusCode.FailedPrecondition, StatusCode.PermissionDenied, StatusCode.ResourceExhausted, StatusCode.AlreadyExists];

    private static readonly Marshaller<byte[]> Raw = new(b => b, b => b);
    private readonly string _policies = ReviewPolicies.CreateDirectory();
    private PdpTestServer _server = null!;

    public async ValueTask InitializeAsync() => _server = await PdpTestServer.StartAsync(_policies);

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(_policies, recursive: true);
    }

    public static TheoryData<string> Methods() => ["Decide", "RecordDisposition", "GetDecision"];

    [Theory]
    [MemberData(nameof(Methods))]
    public async Task AnyMethod_RandomBytes_ClearStatusAndServerKeepsServing(string method)
    {
        var before = RecordCount();
        var property = Prop.ForAll(ArbMap.Default.ArbFor<byte[]>(), bytes => Clear.Contains(CallRaw(method, bytes)));

        Check.One(Config.QuickThrowOnFailure.WithMaxTest(300), property);

        await AssertStillServingAsync();
        Assert.Equal(before, RecordCount() - DecisionsAccepted);
    }

    [Fact]
    public async Task Decide_ValidRequestWithFlippedBytes_ClearStatusAndNothingMalformedRecorded()
    {
        var valid = Request("review.allow").ToByteArray();
        var property = Prop.ForAll(ArbMap.Default.ArbFor<(int, byte)>(), pair =>
        {
            var (position, value) = pair;
            var mutated = (byte[])valid.Clone();
            mutated[Math.Abs(position % mutated.Length)] ^= (byte)(value | 1);
            return Clear.Contains(CallRaw("Decide", mutated));
        });

        Check.One(Config.QuickThrowOnFailure.WithMaxTest(500), property);

        await AssertStillServingAsync();
        foreach (var record in AuditTrailReader.Read(_server.AuditPath).Where(r => r.Type == "decision"))
        {
            // Whatever got through is a well-formed decision: a valid action type and a complete input.
            var type = record.Payload["input"]!["action"]!["type"]!.GetValue<string>();
            Assert.True(Pdp.Policies.Model.ActionType.IsValid(type), type);
        }
    }

    public static TheoryData<string, string> HostileMessages() => new()
    {
        { "huge-string", "context.blob" },
        { "wide-struct", "" },
        { "deep-list", "context.l" },
        { "nan", "context.x" },
        { "infinity", "action.parameters.y" },
        { "negative-infinity-confidence", "action.confidence" },
        { "unknown-enum", "outcome" },
        { "invalid-id", "decision_id" },
        { "empty-reviewer", "reviewer" },
    };

    [Theory]
    [MemberData(nameof(HostileMessages))]
    public async Task AnyMethod_HostileMessage_ClearStatusNamingTheField(string kind, string field)
    {
        var before = RecordCount();
        RpcException? error = null;
        try
        {
            switch (kind)
            {
                case "huge-string":
                    var huge = Request("review.allow");
                    huge.Context = new Struct { Fields = { ["blob"] = Value.ForString(new string('x', 900_000)) } };
                    huge.Context.Fields["blob"] = Value.ForString(new string('x', 900_000));
                    await _server.Client.DecideAsync(huge).ResponseAsync.WaitAsync(PdpTestServer.Timeout);
                    break;
                case "wide-struct":
                    var wide = Request("review.allow");
                    wide.Context = new Struct();
                    for (var i = 0; i < 20_000; i++)
                    {
                        wide.Context.Fields[$"k{i}"] = Value.ForNumber(i);
                    }

                    await _server.Client.DecideAsync(wide).ResponseAsync.WaitAsync(PdpTestServer.Timeout);
                    break;
                case "deep-list":
                    var deep = Request("review.allow");
                    var list = Value.ForString("leaf");
                    for (var i = 0; i < 25; i++)
                    {
                        list = Value.ForList(list);
                    }

                    deep.Context = new Struct { Fields = { ["l"] = list } };
                    await _server.Client.DecideAsync(deep).ResponseAsync.WaitAsync(PdpTestServer.Timeout);
                    break;
                case "nan":
                    var nan = Request("review.allow");
                    nan.Context = new Struct { Fields = { ["x"] = Value.ForNumber(double.NaN) } };
                    await _server.Client.DecideAsync(nan).ResponseAsync.WaitAsync(PdpTestServer.Timeout);
                    break;
                case "infinity":
                    var inf = Request("review.allow");
                    inf.Action.Parameters = new Struct { Fields = { ["y"] = Value.ForNumber(double.PositiveInfinity) } };
                    await _server.Client.DecideAsync(inf).ResponseAsync.WaitAsync(PdpTestServer.Timeout);
                    break;
                case "negative-infinity-confidence":
                    var conf = Request("review.allow");
                    conf.Action.Confidence = double.NegativeInfinity;
                    await _server.Client.DecideAsync(conf).ResponseAsync.WaitAsync(PdpTestServer.Timeout);
                    break;
                case "unknown-enum":
                    var decided = await _server.Client.DecideAsync(Request("review.human")).ResponseAsync.WaitAsync(PdpTestServer.Timeout);
                    before = RecordCount();
                    await _server.Client.RecordDispositionAsync(new RecordDispositionRequest { DecisionId = decided.DecisionId, Reviewer = "rita", Outcome = (Outcome)99 }).ResponseAsync.WaitAsync(PdpTestServer.Timeout);
                    break;
                case "invalid-id":
                    await _server.Client.GetDecisionAsync(new GetDecisionRequest { DecisionId = "../../etc/passwd" }).ResponseAsync.WaitAsync(PdpTestServer.Timeout);
                    break;
                default:
                    await _server.Client.RecordDispositionAsync(new RecordDispositionRequest { DecisionId = Guid.CreateVersion7().ToString(), Reviewer = "", Outcome = Outcome.Approved }).ResponseAsync.WaitAsync(PdpTestServer.Timeout);
                    break;
            }
        }
        catch (RpcException e)
        {
            error = e;
        }

        if (kind == "wide-struct")
        {
            // Wide but within the message limit and depth: a legitimate (if odd) request, decided and recorded.
            Assert.Null(error);
            return;
        }

        Assert.NotNull(error);
        Assert.Contains(error.StatusCode, Clear);
        Assert.StartsWith(field, error.Status.Detail, StringComparison.Ordinal);
        var recorded = RecordCount() - before;
        Assert.True(recorded <= 1, "at most the refusal of a real decision is recorded");
        Assert.DoesNotContain(AuditTrailReader.Read(_server.AuditPath), r => r.Type == "decision" && r.Payload.ToJsonString().Contains("xxxxxxxxxx", StringComparison.Ordinal));
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task Decide_ManyRandomRequests_ManagedMemoryStaysBounded()
    {
        var random = new Random(7);
        for (var i = 0; i < 200; i++)
        {
            await _server.Client.DecideAsync(Request("review.allow")).ResponseAsync.WaitAsync(PdpTestServer.Timeout);
        }

        GC.Collect();
        GC.WaitForPendingFinalizers();
        var baseline = GC.GetTotalMemory(forceFullCollection: true);
        for (var i = 0; i < 2000; i++)
        {
            var bytes = new byte[random.Next(1, 4096)];
            random.NextBytes(bytes);
            CallRaw("Decide", bytes);
        }

        GC.Collect();
        GC.WaitForPendingFinalizers();
        var after = GC.GetTotalMemory(forceFullCollection: true);
        Assert.True(after - baseline < 64L * 1024 * 1024, $"managed memory grew by {(after - baseline) / 1024 / 1024} MiB over 2000 malformed calls");
    }

    private int DecisionsAccepted { get; set; }

    private StatusCode CallRaw(string method, byte[] payload)
    {
        var call = new Method<byte[], byte[]>(MethodType.Unary, "pdp.v1.DecisionService", method, Raw, Raw);
        try
        {
            _server.Channel.CreateCallInvoker().AsyncUnaryCall(call, null, new CallOptions(deadline: DateTime.UtcNow.AddSeconds(10)), payload).ResponseAsync.GetAwaiter().GetResult();
            if (method == "Decide")
            {
                DecisionsAccepted++;
            }

            return StatusCode.OK;
        }
        catch (RpcException e)
        {
            return e.StatusCode;
        }
    }

    // Decisions and refusals only: the policy_load record is written in the background at start.
    private int RecordCount() => File.Exists(_server.AuditPath) ? AuditTrailReader.Read(_server.AuditPath).Count(r => r.Type != "policy_load") : 0;

    private async Task AssertStillServingAsync()
    {
        var ok = await _server.Client.DecideAsync(Request("review.allow")).ResponseAsync.WaitAsync(PdpTestServer.Timeout);
        Assert.Equal(Verdict.Allow, ok.Verdict);
        DecisionsAccepted++;
        Assert.True(Pdp.Audit.Verification.AuditVerifier.Verify(_server.AuditPath).Ok);
    }

    private static DecideRequest Request(string type) => new()
    {
        Agent = new Agent { Id = ReviewPolicies.Agent, OnBehalfOf = ReviewPolicies.Principal },
        Action = new Pdp.Contracts.V1.Action { Type = type, Target = new Target { Kind = "account", Id = "t" } },
    };
}
