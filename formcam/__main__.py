from formcam.cli import main

main()
