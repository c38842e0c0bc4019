from agent.commands.cli.main import main

main()
