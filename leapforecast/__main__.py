from leapforecast._entry import main

main()
