import ImageGate
print(ImageGateVersion.current)
