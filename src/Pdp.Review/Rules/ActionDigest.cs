using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Pdp.Audit.Format;

namespace Pdp.Review.Rules;

/// <summary>
/// The digest that binds an approval to one exact action: SHA-256 over the canonical JSON of the
/// action's type, target (kind, id, attributes) and parameters. An executor recomputes it over what it
/// is about to run and compares it with the approved digest; anything else is not what a human approved.
/// </summary>
public static class ActionDigest
{
    public static string Of(JsonObject input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var action = input["action"]?.AsObject() ?? [];
        return Of(action["type"]?.GetValue<string>() ?? string.Empty, action["target"]?.AsObject(), action["parameters"]?.AsObject());
    }

    public static string Of(string type, JsonObject? target, JsonObject? parameters)
    {
        var normalised = new JsonObject
        {
            ["type"] = type,
            ["target"] = new JsonObject
            {
                ["kind"] = target?["kind"]?.DeepClone() ?? string.Empty,
                ["id"] = target?["id"]?.DeepClone() ?? string.Empty,
                ["attributes"] = target?["attributes"]?.DeepClone() ?? new JsonObject(),
            },
            ["parameters"] = parameters?.DeepClone() ?? new JsonObject(),
        };
        return "sha256:" + Convert.ToHexStringLower(SHA256.HashData(CanonicalJson.Serialize(normalised)));
    }
}
