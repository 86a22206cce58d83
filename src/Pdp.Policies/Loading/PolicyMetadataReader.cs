using Jint;
using Jint.Native;
using Jint.Native.Object;
using Pdp.Policies.Model;

namespace Pdp.Policies.Loading;

/// <summary>
/// Reads and checks the exported <c>policy</c> object. Unknown keys are refused rather than ignored:
/// a misspelt <c>applies-to</c> or <c>ownr</c> must not load as a policy that applies to nothing or
/// belongs to nobody.
/// </summary>
internal static class PolicyMetadataReader
{
    private static readonly HashSet<string> KnownKeys =
        ["id", "owner", "approver_group", "escalation_group", "applies_to", "frameworks", "description", "redact", "cacheable"];

    public static PolicyMetadata? Read(JsValue exported, Action<string> problem)
    {
        if (exported is not ObjectInstance obj || exported.IsArray())
        {
            problem("the module must export 'policy', an object with at least id, owner and applies_to");
            return null;
        }

        var problems = 0;
        void Fail(string message)
        {
            problems++;
            problem(message);
        }

        foreach (var key in obj.GetOwnPropertyKeys())
        {
            var name = key.ToString();
            if (!KnownKeys.Contains(name))
            {
                Fail($"policy has an unknown key '{name}' (known: {string.Join(", ", KnownKeys)})");
            }
        }

        var id = ReadString(obj, "id", required: true, Fail);
        if (id is not null && !IsValidId(id))
        {
            Fail($"policy.id '{id}' must be 1-64 characters of a-z, 0-9, '.', '_' or '-', starting with a letter or digit");
        }

        var owner = ReadString(obj, "owner", required: true, Fail);
        var approverGroup = ReadString(obj, "approver_group", required: false, Fail) ?? string.Empty;
        var escalationGroup = ReadString(obj, "escalation_group", required: false, Fail) ?? string.Empty;
        var description = ReadString(obj, "description", required: false, Fail) ?? string.Empty;
        var frameworks = ReadStrings(obj, "frameworks", Fail);
        var redact = ReadStrings(obj, "redact", Fail);
        var cacheable = obj.Get("cacheable") switch
        {
            var v when v.IsUndefined() => false,
            var v when v.IsBoolean() => v.AsBoolean(),
            _ => Invalid(Fail, "policy.cacheable must be true or false"),
        };

        var patterns = new List<ActionPattern>();
        var appliesTo = obj.Get("applies_to");
        if (!appliesTo.IsArray() || appliesTo.AsArray().Length == 0)
        {
            Fail("policy.applies_to must be a non-empty array of action-type patterns such as \"iam.*\"");
        }
        else
        {
            foreach (var item in appliesTo.AsArray())
            {
                if (!item.IsString())
                {
                    Fail("policy.applies_to must contain only strings");
                    continue;
                }

                var pattern = ActionPattern.TryParse(item.AsString(), out var error);
                if (pattern is null)
                {
                    Fail($"policy.applies_to: {error}");
                }
                else
                {
                    patterns.Add(pattern);
                }
            }
        }

        return problems > 0 || id is null || owner is null
            ? null
            : new PolicyMetadata(id, owner, approverGroup, patterns, frameworks, description, redact, cacheable, escalationGroup);
    }

    private static bool Invalid(Action<string> fail, string message)
    {
        fail(message);
        return false;
    }

    private static bool IsValidId(string id) =>
        id.Length is >= 1 and <= 64
        && char.IsAsciiLetterOrDigit(id[0])
        && id.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '.' or '_' or '-');

    private static string? ReadString(ObjectInstance obj, string key, bool required, Action<string> fail)
    {
        var value = obj.Get(key);
        if (value.IsUndefined())
        {
            if (required)
            {
                fail($"policy.{key} is required");
            }

            return null;
        }

        if (!value.IsString() || string.IsNullOrWhiteSpace(value.AsString()))
        {
            fail($"policy.{key} must be a non-empty string");
            return null;
        }

        var text = value.AsString();
        if (text.Length > 256 && key != "description")
        {
            fail($"policy.{key} is longer than 256 characters");
            return null;
        }

        return text;
    }

    private static string[] ReadStrings(ObjectInstance obj, string key, Action<string> fail)
    {
        var value = obj.Get(key);
        if (value.IsUndefined())
        {
            return [];
        }

        if (!value.IsArray() || value.AsArray().Any(v => !v.IsString()))
        {
            fail($"policy.{key} must be an array of strings");
            return [];
        }

        return value.AsArray().Select(v => v.AsString()).ToArray();
    }
}
