using System.CommandLine;
using Vouch.Cli.Agent;

namespace Vouch.Cli.Commands;

/// <summary><c>vouch agent</c>: runs the agent in the foreground (<c>vouch login</c> starts it in the background).</summary>
internal static class AgentCommand
{
    public static Command Create(CliContext context)
    {
        var background = new Option<bool>("--background") { Hidden = true };
        var command = new Command("agent", "Run the agent that holds your session in memory") { background };
        command.SetAction((parse, cancellationToken) =>
        {
            // First: the session will be in this process's memory, which other processes of the same user could
            // otherwise read through ptrace or /proc/PID/mem.
            if (!Native.MakeUndumpable())
                throw new CliException(FailureKind.Failed, "the agent could not protect its memory (prctl PR_SET_DUMPABLE failed), so it does not start");
            var detached = parse.GetValue(background);
            // Started by 'vouch login': leave its terminal session, and write nowhere (nobody reads the pipes).
            // setsid fails only when already a group leader, which is fine.
            if (detached) _ = Native.SetSid();
            var log = detached ? TextWriter.Null : context.Console.Errors;
            return new AgentServer(context.Paths, context.Connections, TimeProvider.System, log).RunAsync(cancellationToken);
        });
        return command;
    }
}
