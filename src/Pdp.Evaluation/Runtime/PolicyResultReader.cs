using System.Globalization;
using Jint;
using Jint.Native;
using Jint.Native.Object;
using Jint.Runtime.Descriptors;
using Pdp.Evaluation.Results;

namespace Pdp.Evaluation.Runtime;

/// <summary>
/// Turns what <c>decide</c> returned into a <see cref="PolicyOutcome"/>. Only plain data properties
/// are read (no getters run, no proxies followed), every size is bounded, and anything unexpected is
/// an invalid result: it fails closed rather than being guessed at.
/// </summary>
internal static class PolicyResultReader
{
    public const int MaxReasonLength = 1024;
    public const int MaxObligations = 32;
    public const int MaxObligationKeyLength = 64;
    public const int MaxObligationValueLength = 512;
    public const int MaxMinApprovals = 10;

    public static PolicyOutcome Read(string policyId, JsValue result, TimeSpan elapsed)
    {
        if (result.IsUndefined() || result.IsNull())
        {
            return PolicyOutcome.NotApplicable(policyId, elapsed);
        }

        if (result is not ObjectInstance obj || result.IsArray())
        {
            return Invalid(policyId, "returned something other than an object or undefined", elapsed);
        }

        // One pass over the own properties, straight into locals: this runs for every policy call, and a dictionary
        // per result was a measurable share of a decision.
        JsValue? verdictValue = null, reasonValue = null, obligationsValue = null, ttlValue = null, approvalsValue = null, groupValue = null, escalateValue = null;
        foreach (var (key, descriptor) in obj.GetOwnProperties())
        {
            var name = key.IsString() ? key.AsString() : key.ToString();
            if (!descriptor.IsDataDescriptor())
            {
                return Invalid(policyId, $"returned an unknown or computed key '{Truncate(name, 40)}'", elapsed);
            }

            switch (name)
            {
                case "verdict":
                    verdictValue = descriptor.Value;
                    break;
                case "reason":
                    reasonValue = descriptor.Value;
                    break;
                case "obligations":
                    obligationsValue = descriptor.Value;
                    break;
                case "review_ttl":
                    ttlValue = descriptor.Value;
                    break;
                case "min_approvals":
                    approvalsValue = descriptor.Value;
                    break;
                case "approver_group":
                    groupValue = descriptor.Value;
                    break;
                case "escalate_to":
                    escalateValue = descriptor.Value;
                    break;
                default:
                    return Invalid(policyId, $"returned an unknown or computed key '{Truncate(name, 40)}'", elapsed);
            }
        }

        if (verdictValue is null || !verdictValue.IsString() || !VerdictText.TryParse(verdictValue.AsString(), out var verdict))
        {
            return Invalid(policyId, "returned no verdict of \"allow\", \"deny\" or \"require_human\"", elapsed);
        }

        var reason = string.Empty;
        if (reasonValue is not null && !reasonValue.IsUndefined())
        {
            if (!reasonValue.IsString() || reasonValue.AsString().Length > MaxReasonLength)
            {
                return Invalid(policyId, $"returned a reason that is not a string of at most {MaxReasonLength} characters", elapsed);
            }

            reason = reasonValue.AsString();
        }

        var obligations = PolicyOutcome.NoObligations;
        if (obligationsValue is not null && !obligationsValue.IsUndefined())
        {
            var read = ReadObligations(obligationsValue);
            if (read is null)
            {
                return Invalid(policyId, $"returned obligations that are not an object of at most {MaxObligations} short scalar values", elapsed);
            }

            obligations = read;
        }

        TimeSpan? ttl = null;
        if (ttlValue is not null && !ttlValue.IsUndefined())
        {
            ttl = ReadDuration(ttlValue);
            if (ttl is null)
            {
                return Invalid(policyId, "returned a review_ttl that is neither a duration such as \"30m\" nor a positive number of seconds", elapsed);
            }
        }

        int? minApprovals = null;
        if (approvalsValue is not null && !approvalsValue.IsUndefined())
        {
            var n = approvalsValue.IsNumber() ? approvalsValue.AsNumber() : double.NaN;
            if (!(n >= 1 && n <= MaxMinApprovals && Math.Floor(n) == n))
            {
                return Invalid(policyId, $"returned a min_approvals that is not a whole number from 1 to {MaxMinApprovals}", elapsed);
            }

            minApprovals = (int)n;
        }

        string? approverGroup = null;
        if (groupValue is not null && !groupValue.IsUndefined())
        {
            if (!groupValue.IsString() || groupValue.AsString().Length is 0 or > 128)
            {
                return Invalid(policyId, "returned an approver_group that is not a non-empty string", elapsed);
            }

            approverGroup = groupValue.AsString();
        }

        string? escalateTo = null;
        if (escalateValue is not null && !escalateValue.IsUndefined())
        {
            if (!escalateValue.IsString() || escalateValue.AsString().Length is 0 or > 128)
            {
                return Invalid(policyId, "returned an escalate_to that is not a non-empty string", elapsed);
            }

            escalateTo = escalateValue.AsString();
        }

        return new PolicyOutcome(policyId, verdict, reason, obligations, ttl, minApprovals, approverGroup, PolicyErrorKind.None, elapsed) { EscalateTo = escalateTo };
    }

    private static Dictionary<string, string>? ReadObligations(JsValue value)
    {
        if (value is not ObjectInstance obj || value.IsArray())
        {
            return null;
        }

        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, descriptor) in obj.GetOwnProperties())
        {
            var name = key.IsString() ? key.AsString() : key.ToString();
            if (result.Count >= MaxObligations || !descriptor.IsDataDescriptor() || name.Length is 0 or > MaxObligationKeyLength)
            {
                return null;
            }

            var text = Scalar(descriptor);
            if (text is null || text.Length > MaxObligationValueLength)
            {
                return null;
            }

            result[name] = text;
        }

        return result;
    }

    private static string? Scalar(PropertyDescriptor descriptor)
    {
        var value = descriptor.Value;
        if (value.IsString())
        {
            return value.AsString();
        }

        if (value.IsBoolean())
        {
            return value.AsBoolean() ? "true" : "false";
        }

        if (value.IsNumber() && double.IsFinite(value.AsNumber()))
        {
            return value.AsNumber().ToString(CultureInfo.InvariantCulture);
        }

        return null;
    }

    private static TimeSpan? ReadDuration(JsValue value)
    {
        if (value.IsString())
        {
            return DurationText.TryParse(value.AsString(), out var parsed) && parsed > TimeSpan.Zero ? parsed : null;
        }

        if (value.IsNumber())
        {
            var seconds = value.AsNumber();
            return seconds is > 0 and <= 366 * 86400.0 ? TimeSpan.FromSeconds(seconds) : null;
        }

        return null;
    }

    private static PolicyOutcome Invalid(string policyId, string what, TimeSpan elapsed) =>
        PolicyOutcome.Failed(policyId, PolicyErrorKind.InvalidResult, $"policy '{policyId}' failed closed: it {what}", elapsed);

    internal static string Truncate(string text, int max) => text.Length <= max ? text : text[..max] + "…";
}
