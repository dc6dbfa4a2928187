print("tensorbench")
