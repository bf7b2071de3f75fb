from shiplings.cli import main

main()
