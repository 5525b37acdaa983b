using Vouch.Cli;

// credential_process and status here; everything else is the full program beside this one, run in this process's place.
return HotPath.TryRun(args, Environment.GetEnvironmentVariable, StandardOutput.Open, () => Console.Out, () => Console.Error)
    ?? FullProgram.Exec(args);
