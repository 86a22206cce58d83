using System.Text.Json.Nodes;
using Pdp.Audit.Redaction;
using Xunit;

namespace Pdp.Audit.Tests;

public sealed class AuditRedactorTests
{
    private const string Input = """
        {"request":{"action":{"name":"pay","parameters":{"password":"hunter2","amount":10}},
                    "context":{"api_key":"k-123","ip":"10.0.0.1","nothing":null},
                    "items":[{"secret":"s1","id":1},{"secret":"s2","id":2}]},
         "decision":"allow"}
        """;

    [Theory]
    [InlineData("request.action.parameters.password", """{"request":{"action":{"name":"pay","parameters":{"password":"***","amount":10}},"context":{"api_key":"k-123","ip":"10.0.0.1","nothing":null},"items":[{"secret":"s1","id":1},{"secret":"s2","id":2}]},"decision":"allow"}""")]
    [InlineData("request.action.parameters.*", """{"request":{"action":{"name":"pay","parameters":{"password":"***","amount":"***"}},"context":{"api_key":"k-123","ip":"10.0.0.1","nothing":null},"items":[{"secret":"s1","id":1},{"secret":"s2","id":2}]},"decision":"allow"}""")]
    [InlineData("request.context.api_key|request.context.nothing", """{"request":{"action":{"name":"pay","parameters":{"password":"hunter2","amount":10}},"context":{"api_key":"***","ip":"10.0.0.1","nothing":"***"},"items":[{"secret":"s1","id":1},{"secret":"s2","id":2}]},"decision":"allow"}""")]
    [InlineData("request.*.api_key", """{"request":{"action":{"name":"pay","parameters":{"password":"hunter2","amount":10}},"context":{"api_key":"***","ip":"10.0.0.1","nothing":null},"items":[{"secret":"s1","id":1},{"secret":"s2","id":2}]},"decision":"allow"}""")]
    [InlineData("request.items.*.secret", """{"request":{"action":{"name":"pay","parameters":{"password":"hunter2","amount":10}},"context":{"api_key":"k-123","ip":"10.0.0.1","nothing":null},"items":[{"secret":"***","id":1},{"secret":"***","id":2}]},"decision":"allow"}""")]
    [InlineData("request.items.1.secret", """{"request":{"action":{"name":"pay","parameters":{"password":"hunter2","amount":10}},"context":{"api_key":"k-123","ip":"10.0.0.1","nothing":null},"items":[{"secret":"s1","id":1},{"secret":"***","id":2}]},"decision":"allow"}""")]
    [InlineData("request.action", """{"request":{"action":"***","context":{"api_key":"k-123","ip":"10.0.0.1","nothing":null},"items":[{"secret":"s1","id":1},{"secret":"s2","id":2}]},"decision":"allow"}""")]
    [InlineData("missing.path|request.action.parameters.password.deeper|request.items.7.secret|request.items.x", """{"request":{"action":{"name":"pay","parameters":{"password":"hunter2","amount":10}},"context":{"api_key":"k-123","ip":"10.0.0.1","nothing":null},"items":[{"secret":"s1","id":1},{"secret":"s2","id":2}]},"decision":"allow"}""")]
    public void Mask_Paths_ReplacesPresentValuesOnly(string paths, string expected)
    {
        var payload = JsonNode.Parse(Input)!.AsObject();

        var masked = AuditRedactor.Mask(payload, paths.Split('|'));

        Assert.Equal(JsonNode.Parse(expected)!.ToJsonString(), masked.ToJsonString());
    }

    [Fact]
    public void Mask_AnyPaths_LeavesInputUntouchedAndReturnsIndependentCopy()
    {
        var payload = JsonNode.Parse(Input)!.AsObject();
        var before = payload.ToJsonString();

        var masked = AuditRedactor.Mask(payload, ["request.action.parameters.*", "request.items.*.secret"]);
        masked["request"]!["context"]!["ip"] = "changed";

        Assert.Equal(before, payload.ToJsonString());
        Assert.NotSame(payload, masked);
    }

    [Fact]
    public void Mask_NoPaths_ReturnsEqualCopy()
    {
        var payload = JsonNode.Parse(Input)!.AsObject();

        var masked = AuditRedactor.Mask(payload, []);

        Assert.True(JsonNode.DeepEquals(payload, masked));
        Assert.NotSame(payload, masked);
    }

    [Theory]
    [InlineData("")]
    [InlineData("request..password")]
    [InlineData(".request")]
    [InlineData("request.")]
    public void Mask_MalformedPath_ThrowsArgumentException(string path)
    {
        Assert.Throws<ArgumentException>(() => AuditRedactor.Mask(new JsonObject(), [path]));
    }
}
