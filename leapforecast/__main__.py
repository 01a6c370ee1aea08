from leapforecast.cli import main

main()
